import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type Child, run } from '../cli/helpers.js'
import { type ToolName, toolCommand } from './required-tools.js'

/** The seed's Python programs, changed only where their docstrings say. */
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))

/**
 * Runs a peer we did not write. Only the tools of `TOOLS` are accepted, so a test cannot use a
 * program that the check before the run (and `.ci/run`, which installs them) does not know about.
 * A tool off PATH (PostgreSQL's programs on Debian) is run from where `toolCommand()` found it.
 */
export function peer(tool: ToolName, args: string[], input?: string): Child {
  return run(toolCommand(tool), args, input)
}

/**
 * Starts a server we did not write (./servers.ts), with spawn options `peer()` does not take: the
 * `uid`/`gid` to run as (PostgreSQL refuses to run as root), its working directory. Only the tools
 * of `TOOLS` are accepted, as by `peer()`; stdin is closed, stdout and stderr are pipes.
 */
export function peerProcess(tool: ToolName, args: string[], options: SpawnOptions): ChildProcess {
  return spawn(toolCommand(tool), args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Runs one of the seed's Python programs (test/interop/fixtures/), unbuffered. */
export function python(script: string, args: string[], input?: string): Child {
  return peer('python3', ['-u', `${fixtures}${script}`, ...args], input)
}
