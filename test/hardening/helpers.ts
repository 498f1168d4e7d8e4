import { type ChildProcess, spawn } from 'node:child_process'
import { connect as netConnect, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { runtime } from '../helpers/runtime.js'

const fixture = fileURLToPath(new URL('./fixtures/echo-server.mjs', import.meta.url))

/** What the server child reports to `onError`. */
export interface ReportedError {
  name: string
  code: string
  message: string
  peer?: { address: string; port: number }
}

/** Memory, descriptors and handles of the server child. */
export interface ServerStats {
  rss: number
  peakRss: number
  heapUsed: number
  fds: number
  handles: number
  connections: number
  pending: number
}

/** A server child process (test/hardening/fixtures/echo-server.mjs) and its reports. */
export interface ServerChild {
  port: number
  process: ChildProcess
  errors: ReportedError[]
  stats(): Promise<ServerStats>
  resetPeak(): Promise<void>
  close(timeout?: number): Promise<void>
  kill(): void
}

export interface ServerOptions {
  codec?: string
  maxLength?: number
  maxConnections?: number
  maxPending?: number
  idleTimeout?: number
  mode?: 'echo' | 'sink-only'
  blocks?: number
  /** Soft limit on open descriptors for the child (`ulimit -n`). */
  fdLimit?: number
}

/** `args` (Node.js's command line after the executable) as the runtime running us takes them. */
function shellArgs(args: string[]): string[] {
  if (runtime !== 'deno') return args
  const flags = args.filter((a) => a.startsWith('--'))
  const rest = args.filter((a) => !a.startsWith('--'))
  return ['run', '-A', ...(flags.length > 0 ? [`--v8-flags=${flags.join(',')}`] : []), ...rest]
}

/** Starts the server child and waits until it listens. */
export async function startServer(options: ServerOptions = {}): Promise<ServerChild> {
  const args = ['--expose-gc', fixture, JSON.stringify(options)]
  const child =
    options.fdLimit === undefined
      ? spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
      : // Through a shell, where Deno no longer turns Node.js's command line into its own (it does
        // when child_process runs process.execPath itself): shellArgs() does.
        spawn(
          'sh',
          ['-c', `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, ...shellArgs(args)],
          {
            stdio: ['pipe', 'pipe', 'inherit'],
          },
        )
  const errors: ReportedError[] = []
  const waiting: Array<(value: Record<string, unknown>) => void> = []
  let onPort: ((port: number) => void) | undefined
  const port = new Promise<number>((resolve, reject) => {
    onPort = resolve
    child.once('exit', (code) => reject(new Error(`server child exited early (${code})`)))
  })
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>
    if (typeof message.port === 'number') onPort?.(message.port)
    else if (message.error !== undefined) errors.push(message.error as ReportedError)
    else waiting.shift()?.(message)
  })
  const ask = (command: string): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      waiting.push(resolve)
      child.stdin?.write(`${command}\n`)
    })
  return {
    port: await port,
    process: child,
    errors,
    stats: async () => (await ask('stats')).stats as ServerStats,
    resetPeak: async () => {
      await ask('reset-peak')
    },
    close: async (timeout = 1000) => {
      await ask(`close ${timeout}`)
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}

export const MiB = 1024 * 1024

/**
 * `count` clients that keep echoing numbered messages through the server (lp framing) until
 * `stop()` is called; every reply is checked against what was sent.
 */
export function wellBehavedClients(
  port: number,
  count: number,
): { exchanges: () => number; stop: () => Promise<{ exchanges: number; wrong: number }> } {
  let running = true
  let exchanges = 0
  let wrong = 0
  const clients = Array.from({ length: count }, async (_, id) => {
    const { connect, framed, lengthPrefixed } = await import('it-socket')
    await using conn = await connect({ host: '127.0.0.1', port })
    const messages = framed(conn, lengthPrefixed())
    for (let i = 0; running; i++) {
      const text = `client ${id} message ${i} ${'x'.repeat(i % 300)}`
      const reply = new TextDecoder().decode(await messages.request(new TextEncoder().encode(text)))
      if (reply === text) exchanges++
      else wrong++
    }
    await messages.sink([])
  })
  return {
    exchanges: () => exchanges,
    stop: async () => {
      running = false
      await Promise.all(clients)
      return { exchanges, wrong }
    },
  }
}

/** Resolves when `emitter` emits any of `events` (never rejects, unlike `events.once` on 'error'). */
export function anyEvent(emitter: NodeJS.EventEmitter, ...events: string[]): Promise<string> {
  return new Promise((resolve) => {
    const listeners = events.map((event) => {
      const listener = (): void => {
        for (const [i, e] of events.entries()) emitter.off(e, listeners[i] as () => void)
        resolve(event)
      }
      emitter.on(event, listener)
      return listener
    })
  })
}

/**
 * Raw node:net peers (peers we did not write with it-socket), connected to 127.0.0.1; `destroyAll()`
 * tears down every one made, for `afterEach`. Their errors are expected (servers reset them).
 */
export function rawPeers(): { connect: (port: number) => Promise<Socket>; destroyAll: () => void } {
  const sockets: Socket[] = []
  return {
    connect: async (port) => {
      const socket = netConnect({ port, host: '127.0.0.1' })
      socket.on('error', () => {})
      sockets.push(socket)
      await anyEvent(socket, 'connect', 'close')
      return socket
    },
    destroyAll: () => {
      for (const socket of sockets.splice(0)) socket.destroy()
    },
  }
}

/** With HARDENING_REPORT=1, prints a measurement (for closing notes and soak runs); silent otherwise. */
export function report(what: string, value: string): void {
  if (process.env.HARDENING_REPORT === '1') process.stdout.write(`hardening: ${what}: ${value}\n`)
}
