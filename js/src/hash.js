// The probe sequence (docs/algorithm.md sections 2 and 3): key bytes, seeded
// XXH3 64-bit, and the jump consistent hash.

import { createRequire } from 'node:module';
import { HashFunctionError } from './errors.js';

// @node-rs/xxhash's own index finds this platform's prebuilt binary after
// probing the C library and a local build, which costs a first lookup about
// 15 ms; the binary's package is required directly when this platform has
// one installed, else the index (which knows every platform). The check
// values below hold whichever answers.
const require = createRequire(import.meta.url);
const SUFFIXES = { linux: ['-gnu', '-musl'], win32: ['-msvc'], darwin: [''], freebsd: [''] };

function xxhash() {
  for (const suffix of SUFFIXES[process.platform] ?? []) {
    try {
      return require(`@node-rs/xxhash-${process.platform}-${process.arch}${suffix}`);
    } catch {
      // Not installed here, or built for another C library: the next, or the index.
    }
  }
  return require('@node-rs/xxhash');
}
const { xxh3 } = xxhash();

const MASK64 = (1n << 64n) - 1n;
const MULTIPLIER = 2862933555777941757n;

export const HASHED_PROBES = 16;
const PREFIX = Buffer.from('stableport\0v1\0');
// XXH3 with a seed; not @node-rs/xxhash's top-level xxh64, which is XXH64.
export const hash = (key, seed) => xxh3.xxh64(key, BigInt(seed));

// Section 3: the check values, before any port is computed.
const CHECK_KEY = Buffer.from('stableport\0v1\0default\0billing');
for (const [seed, expected] of [[0, 0xff1587e723a1dbc6n], [1, 0x54b818974e6a5773n]]) {
  const actual = hash(CHECK_KEY, seed);
  if (actual !== expected) {
    throw new HashFunctionError(
      `@node-rs/xxhash gives XXH3_64bits_withSeed(key, ${seed}) = 0x${actual.toString(16)}, but stableport's v1 algorithm needs 0x${expected.toString(16)}`,
    );
  }
}

/** The bytes every key of a map starts with; a namespace joins them. */
export function keyPrefix(namespace) {
  return namespace == null ? PREFIX : Buffer.concat([PREFIX, Buffer.from(`${namespace}\0`)]);
}

/** The key of a (normalized) service in a (normalized) environment or lane. */
export function keyBytes(service, env, prefix) {
  return Buffer.concat([prefix, Buffer.from(`${env}\0${service}`)]);
}

/** Jump consistent hash (Lamping & Veach 2014): a bucket in [0, buckets). */
export function jump(key, buckets) {
  let bucket = -1;
  let candidate = 0;
  while (candidate < buckets) {
    bucket = candidate;
    key = (key * MULTIPLIER + 1n) & MASK64;
    candidate = Math.floor((bucket + 1) * (2147483648 / (Number(key >> 33n) + 1)));
  }
  return bucket;
}

/** Every port of low..high once, in key's order of preference (a generator). */
export function* probeSequence(key, low, high) {
  const size = high - low + 1;
  const start = jump(hash(key, 0), size);
  const seen = new Set([low + start]);
  yield low + start;
  for (let seed = 1; seed < HASHED_PROBES; seed++) {
    const port = low + jump(hash(key, seed), size);
    if (!seen.has(port)) {
      seen.add(port);
      yield port;
    }
  }
  for (let offset = 1; offset < size; offset++) {
    const port = low + ((start + offset) % size);
    if (!seen.has(port)) yield port;
  }
}
