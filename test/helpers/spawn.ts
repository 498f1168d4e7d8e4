import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

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
