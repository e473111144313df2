// Next.js bundles server code: stableport (whose XXH3 is a native addon) is
// left to Node's own loader instead, as every package with a native part is.
// agentRules and agentUpgrade off: no files written into the project beyond .next/.
export default {
  serverExternalPackages: ['stableport'],
  agentRules: false,
  experimental: { agentUpgrade: false },
};
