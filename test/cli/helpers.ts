import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { parseCommand } from '../../src/cli/args.js'
import { UsageError } from '../../src/cli/usage-error.js'
import { deviates } from '../helpers/runtime.js'

/** The repository root: the built command is `dist/src/cli/main.js` below it. */
export const root = fileURLToPath(new URL('../../', import.meta.url))

/** A child process with its output collected, and ways to await what it prints. */
export interface Child {
  process: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or the signal's name) once the child has exited. */
  exited: Promise<number | string>
  /** Resolves once `stream` has printed a match of `pattern`; rejects if the child exits first or after `ms`. */
  waitFor: (stream: 'stdout' | 'stderr', pattern: RegExp | string, ms?: number) => Promise<RegExpExecArray>
  /** Writes to the child's stdin (left open unless `input` was given). */
  write: (text: string) => void
}

const children: Child[] = []

/** Kills every child still running: call in `afterEach`. */
export function killAll(): void {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL')
  }
}

/**
 * Runs a program with stdin, stdout and stderr as pipes. With `input`, stdin gets it and is ended;
 * without, stdin stays open (a person who has not finished typing). Under test/cli the program is
 * always Node.js (`npm test` needs nothing else); peers we did not write, such as nc, are run from
 * test/interop/ (`npm run test:interop`), through its `peer()`.
 */
export function run(command: string, args: string[], input?: string): Child {
  const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
  const output = { stdout: '', stderr: '' }
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  // EPIPE when a child exits before reading its stdin: not what these tests look at.
  child.stdin.on('error', () => {})
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8').on('data', (data: string) => {
      output[stream] += data
    })
  }
  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp | string, ms = 10_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const regex = typeof pattern === 'string' ? new RegExp(escapeRegExp(pattern)) : pattern
      const check = (): void => {
        const match = regex.exec(output[stream])
        if (match !== null) finish(() => resolve(match))
      }
      const onExit = (): void =>
        finish(() => reject(new Error(`exited before printing ${regex} on ${stream}: ${describe()}`)))
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out waiting for ${regex} on ${stream}: ${describe()}`))),
        ms,
      )
      const finish = (settle: () => void): void => {
        clearTimeout(timer)
        child[stream].off('data', onData)
        child.off('exit', onExit)
        settle()
      }
      // Checked after our collector (registered first) has appended the chunk.
      const onData = (): void => check()
      child[stream].on('data', onData)
      child.once('exit', onExit)
      check()
    })
  const describe = () => `stdout ${JSON.stringify(output.stdout)}, stderr ${JSON.stringify(output.stderr)}`
  if (input !== undefined) child.stdin.end(input)
  const handle: Child = {
    process: child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    exited,
    waitFor,
    write: (text) => child.stdin.write(text),
  }
  children.push(handle)
  return handle
}

/** Runs the built command: `node dist/src/cli/main.js ...args` (`npm run build` first). */
export function cli(args: string[], input?: string): Child {
  return run(process.execPath, ['dist/src/cli/main.js', ...args], input)
}

/**
 * Resolves with `child`'s exit, for a child that should exit by itself, its stdin still open, once
 * `done` was printed on stdout. On Deno an open stdin keeps the process alive even once it is
 * destroyed (`deno-stdin-keeps-process-alive`, docs/RUNTIMES.md): there the child must still be
 * running `ms` after printing `done`, and its exit is awaited once its stdin is closed.
 */
export async function exitedWithStdinOpen(
  child: Child,
  done: RegExp | string,
  ms = 500,
): Promise<number | string> {
  if (!deviates('deno-stdin-keeps-process-alive')) return child.exited
  await child.waitFor('stdout', done)
  await new Promise((resolve) => setTimeout(resolve, ms))
  expect(child.process.exitCode).toBeNull()
  child.process.stdin?.end()
  return child.exited
}

/** Waits for a server child's `listening on HOST:PORT` line on `stream` and returns the port. */
export async function listeningPort(child: Child, stream: 'stdout' | 'stderr' = 'stderr'): Promise<number> {
  const match = await child.waitFor(stream, /listening on \S*:(\d+)/)
  return Number(match[1])
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bound on port 0, then closed). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  server.close()
  await once(server, 'close')
  return address.port
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The usage error `parseCommand(args)` throws; fails the test if it throws none or another error. */
export function usageError(args: string[]): UsageError {
  try {
    parseCommand(args)
  } catch (err) {
    if (err instanceof UsageError) return err
    throw err
  }
  throw new Error(`${JSON.stringify(args)} parsed without a usage error`)
}
