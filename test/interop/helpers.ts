import { fileURLToPath } from 'node:url'
import { type Child, run } from '../cli/helpers.js'
import type { ToolName } from './required-tools.js'

/** The seed's Python programs, changed only where their docstrings say. */
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))

/**
 * Runs a peer we did not write. Only the tools of `TOOLS` are accepted, so a test cannot use a
 * program that the check before the run (and `.ci/run`, which installs them) does not know about.
 */
export function peer(tool: ToolName, args: string[], input?: string): Child {
  return run(tool, args, input)
}

/** Runs one of the seed's Python programs (test/interop/fixtures/), unbuffered. */
export function python(script: string, args: string[], input?: string): Child {
  return peer('python3', ['-u', `${fixtures}${script}`, ...args], input)
}
