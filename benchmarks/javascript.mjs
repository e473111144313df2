// Section 7's measurements in Node: run by benchmarks/_javascript.py, which
// passes the package's directory, the project directory to look up in, and
// the sizes; prints one JSON object of medians in seconds.
//
//   node benchmarks/javascript.mjs JS_DIR PROJECT_DIR ROUNDS CALLS FIRST
//
// FIRST: "first" measures, in this fresh process, the package's import and
// its first lookup (configuration discovery and parsing included), then stops.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [js, project, roundsText, callsText, mode] = process.argv.slice(2);
process.chdir(project);

if (mode === 'first') {
  // Wall time, and this process's CPU time (on a shared machine, what the
  // work itself cost, without the time spent waiting for a core).
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { portFor } = await import(pathToFileURL(join(js, 'dist/stableport.mjs')));
  const port = portFor('billing');
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ first: seconds, firstCpu: (used.user + used.system) / 1e6, port }));
  process.exit(0);
}

const { portFor, load } = await import(pathToFileURL(join(js, 'dist/stableport.mjs')));
const { default: getPort } = await import(pathToFileURL(join(js, 'node_modules/get-port/index.js')));
const map = load();
const rounds = Number(roundsText);
const calls = Number(callsText);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Warm lookups: `calls` calls a round, the median of the rounds' seconds per call.
function perCall(f) {
  f();
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) f();
    samples.push(Number(process.hrtime.bigint() - start) / 1e9 / calls);
  }
  return median(samples);
}

// get-port binds a socket to find a free port: fewer calls, the same median.
async function perAsyncCall(f, count) {
  await f();
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await f();
    samples.push(Number(process.hrtime.bigint() - start) / 1e9 / count);
  }
  return median(samples);
}

const warm = perCall(() => portFor('billing'));
const mapWarm = perCall(() => map.portFor('billing'));
const envWarm = perCall(() => portFor('billing', { env: 'test' }));
const getPortSeconds = await perAsyncCall(() => getPort(), Math.max(1, Math.floor(calls / 1000)));
console.log(JSON.stringify({ warm, mapWarm, envWarm, getPort: getPortSeconds, node: process.version }));
