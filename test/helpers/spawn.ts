import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect as netConnect, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { deviates } from './runtime.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** A child process running one of the built scripts, with its output collected. */
export interface Child {
  process: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code (or the signal's name) once the child has exited. */
  exited: Promise<number | string>
}

/** Runs `node <script relative to the repo root> ...args`, e.g. `dist/examples/echo-server.js`. */
export function runNode(script: string, args: string[] = [], input?: string): Child {
  const child = spawn(process.execPath, [script, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d
  })
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  if (input !== undefined) child.stdin.end(input)
  return { process: child, stdout: () => out, stderr: () => err, exited }
}

/** Waits for a server child to print `listening on HOST:PORT` and returns the port. */
export async function listeningPort(child: Child, ms = 10_000): Promise<number> {
  const deadline = Date.now() + ms
  for (;;) {
    const match = /listening on [^\s]*:(\d+)/.exec(child.stdout())
    if (match !== null) return Number(match[1])
    if (child.process.exitCode !== null) throw new Error(`server exited early: ${child.stderr()}`)
    if (Date.now() > deadline) throw new Error(`server did not start: ${child.stdout()} ${child.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * The child behind {@link unacceptingListener}: it listens with a backlog of 1, prints its port, then
 * blocks its own event loop for good (`Atomics.wait`), so it never calls accept().
 */
const UNACCEPTING_CHILD = `
const server = require('node:net').createServer()
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  require('node:fs').writeSync(1, server.address().port + '\\n')
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
})
`

/**
 * A listening TCP socket on 127.0.0.1 whose connection attempts hang, for connect timeouts: a
 * Node.js child that never accepts holds it, with its accept queue already full (Linux queues
 * backlog + 1 = 2 connections, then drops further SYNs; Bun queues 513 whatever the backlog). Node.js only, unlike a python3 listener, so
 * `npm test` needs nothing else. `close()` kills the child and destroys the queued connections.
 */
export async function unacceptingListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', UNACCEPTING_CHILD], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(child, 'exit')
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => resolve(Number(String(data).trim())))
    child.once('exit', (code) => reject(new Error(`unaccepting listener exited early (${code})`)))
  })
  const queued: Socket[] = []
  // Bun ignores the backlog and queues 512 + 1 connections (bun-listen-backlog, docs/RUNTIMES.md).
  const queueLength = deviates('bun-listen-backlog') ? 513 : 2
  for (let i = 0; i < queueLength; i++) {
    const socket = netConnect({ host: '127.0.0.1', port })
    socket.on('error', () => {}) // reset when the child is killed: expected
    queued.push(socket)
    await once(socket, 'connect')
  }
  return {
    port,
    close: async () => {
      for (const socket of queued) socket.destroy()
      child.kill('SIGKILL')
      await exited
    },
  }
}

/**
 * Sends `signal` to `child` by its pid. Not `child.kill(signal)`: on Deno that makes 'exit' report
 * the signal even when the child handled it and exited with a code (`deno-kill-reports-signal`,
 * docs/RUNTIMES.md), and the tests look at that code.
 */
export function sendSignal(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) throw new Error('the child has no pid: it did not start')
  process.kill(child.pid, signal)
}
