// The runtime matrix of `npm run test:runtimes` (scripts/test-runtimes.mjs): each runtime's npm
// package, pinned (a new version is a deliberate change, with docs/RUNTIMES.md checked against it),
// the binary's file name in it, and the arguments vitest is started with.

/** `<platform>-<arch>`, as the node-<platform>-<arch> packages are named. */
export const platform = `${process.platform}-${process.arch}`

/** The matrix: name, npm package, the binary's file name in it, and how vitest is started. */
export const RUNTIMES = [
  { name: 'node22', pkg: `node-${platform}@22.23.5`, binary: 'node', args: [] },
  { name: 'node24', pkg: `node-${platform}@24.22.3`, binary: 'node', args: [] },
  { name: 'node26', pkg: `node-${platform}@26.12.1`, binary: 'node', args: [] },
  // --bun: run vitest's own `#!/usr/bin/env node` scripts on Bun too, not on a Node.js from PATH.
  { name: 'bun', pkg: 'bun@1.4.5', binary: 'bun', args: ['--bun'] },
  { name: 'deno', pkg: 'deno@2.9.6', binary: 'deno', args: ['run', '-A'] },
]
