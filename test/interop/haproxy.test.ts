import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { type Child, freePort, killAll, run } from '../cli/helpers.js'
import { canConnect, readAll, tempDir, until } from '../helpers/net.js'
import { peer } from './helpers.js'
import { exited } from './tls-helpers.js'

// A real HAProxy (`mode tcp`, `balance roundrobin`) in front of two it-socket servers with
// `listen({ proxyProtocol: true })` (test/interop/fixtures/proxied-echo.mjs, run on the built
// library), sending the PROXY header as v2 (`send-proxy-v2`) and as v1 (`send-proxy`). Clients
// connect from 127.0.0.2 so the client the header names differs from the proxy (127.0.0.1).
// Everything listens on 127.0.0.1 on ports picked free; every process is killed after its test.
afterEach(killAll)

const backendScript = fileURLToPath(new URL('./fixtures/proxied-echo.mjs', import.meta.url))

const CLIENT_HOST = '127.0.0.2'

/** What a backend says about a connection in its first line. */
interface Seen {
  pid: number
  remote: { address: string; port: number; family: string }
  socketRemote: { address: string; port: number; family: string }
  version: number | undefined
  command: string | undefined
  destination: { address: string; port: number; family: string } | undefined
}

interface Backend {
  child: Child
  port: number
  pid: number
}

async function startBackend(): Promise<Backend> {
  const child = run(process.execPath, [backendScript, '0'])
  const match = await child.waitFor('stdout', /^listening on 127\.0\.0\.1:(\d+)$/m)
  return { child, port: Number(match[1]), pid: child.process.pid as number }
}

/** Lines a backend reported to its onError. */
function reported(backend: Backend): string[] {
  return backend.child
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('onError '))
}

interface Proxy {
  child: Child
  port: number
}

/**
 * Starts `haproxy -db` (foreground) with a config written to a temp dir: frontend `app` on
 * 127.0.0.1, balancing over `backends` with `serverOptions` (e.g. `send-proxy-v2`). A second
 * frontend that rejects every connection tells when haproxy has bound its ports, without a
 * connection reaching a backend.
 */
async function startHaproxy(
  backends: Backend[],
  serverOptions: string,
  backendLines: string[] = [],
): Promise<Proxy> {
  const { dir, cleanup } = tempDir()
  cleanups.push(cleanup)
  const port = await freePort()
  const readyPort = await freePort()
  const config = [
    'global',
    '    maxconn 4096',
    'defaults',
    '    mode tcp',
    '    timeout connect 2s',
    '    timeout client 10s',
    '    timeout server 10s',
    'frontend app',
    `    bind 127.0.0.1:${port}`,
    '    default_backend it_socket',
    'frontend ready',
    `    bind 127.0.0.1:${readyPort}`,
    '    tcp-request connection reject',
    'backend it_socket',
    '    balance roundrobin',
    ...backendLines.map((line) => `    ${line}`),
    ...backends.map((backend, i) => `    server s${i} 127.0.0.1:${backend.port} ${serverOptions}`),
    '',
  ].join('\n')
  const file = join(dir, 'haproxy.cfg')
  writeFileSync(file, config)
  const child = peer('haproxy', ['-f', file, '-db'])
  await until(
    () => {
      if (child.process.exitCode !== null) throw new Error(`haproxy exited: ${child.stderr()}`)
      return canConnect(readyPort)
    },
    10_000,
    'haproxy to listen',
  )
  return { child, port }
}

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Kills a child (SIGKILL) and waits until it has exited. */
async function kill(child: Child): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL')
  await exited(child)
}

/** A client of haproxy, from 127.0.0.2, connected; `localPort` is its own port. */
async function client(port: number): Promise<{ socket: Socket; localPort: number }> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: CLIENT_HOST, allowHalfOpen: true })
  await once(socket, 'connect')
  return { socket, localPort: socket.localPort as number }
}

/** Splits what came back into the backend's first line (parsed) and the echo after it. */
function parse(received: Buffer): { seen: Seen; echo: string } {
  const text = received.toString('utf8')
  const newline = text.indexOf('\n')
  if (newline < 0) throw new Error(`no first line in ${JSON.stringify(text)}`)
  return { seen: JSON.parse(text.slice(0, newline)) as Seen, echo: text.slice(newline + 1) }
}

/** One client: connects, sends `message`, half-closes, reads everything back. */
async function exchange(
  port: number,
  message: string,
): Promise<{ seen: Seen; echo: string; localPort: number }> {
  const { socket, localPort } = await client(port)
  try {
    const received = readAll(socket)
    socket.end(message)
    return { ...parse(await received), localPort }
  } finally {
    socket.destroy()
  }
}

function message(i: number): string {
  return `client ${i}: ${'x'.repeat(i % 97)} ${Math.random().toString(36).slice(2)}\n`
}

for (const [option, version] of [
  ['send-proxy-v2', 2],
  ['send-proxy', 1],
] as const) {
  describe(`HAProxy ${option} → two it-socket servers with listen({ proxyProtocol: true })`, () => {
    it(`200 clients from ${CLIENT_HOST}: echoes intact, both servers used, each sees the client in a v${version} header`, async () => {
      const backends = [await startBackend(), await startBackend()]
      let proxy: Proxy | undefined
      try {
        proxy = await startHaproxy(backends, option)
        const port = proxy.port
        const messages = Array.from({ length: 200 }, (_, i) => message(i))
        const results = await Promise.all(messages.map((text) => exchange(port, text)))
        for (const [i, { seen, echo, localPort }] of results.entries()) {
          expect(echo).toBe(messages[i])
          expect(seen.remote).toEqual({ address: CLIENT_HOST, port: localPort, family: 'IPv4' })
          expect(seen.socketRemote.address).toBe('127.0.0.1')
          expect(seen.socketRemote.family).toBe('IPv4')
          expect(seen.version).toBe(version)
          expect(seen.command).toBe('PROXY')
          expect(seen.destination).toEqual({ address: '127.0.0.1', port, family: 'IPv4' })
        }
        const pids = new Set(results.map(({ seen }) => seen.pid))
        expect(pids).toEqual(new Set(backends.map(({ pid }) => pid)))
        // Without health checks, every connection to a backend came with a good header.
        for (const backend of backends) expect(reported(backend)).toEqual([])
      } finally {
        if (proxy !== undefined) await kill(proxy.child)
        for (const backend of backends) await kill(backend.child)
      }
    }, 60_000)

    it('SIGKILL of one server: only its open connections fail; the other keeps its own and takes every new one', async () => {
      const backends = [await startBackend(), await startBackend()]
      const [doomed, survivor] = backends as [Backend, Backend]
      let proxy: Proxy | undefined
      try {
        // Health checks mark the killed server down; a connection sent to it before that is retried
        // (a refused connect) and, on the last retry, sent to the other server.
        proxy = await startHaproxy(backends, `${option} check inter 200ms fall 1 rise 1`, [
          'retries 3',
          'option redispatch',
        ])
        const port = proxy.port
        // 40 connections left open, each having sent half its message and read the backend's line.
        const open = await Promise.all(
          Array.from({ length: 40 }, async (_, i) => {
            const text = message(i)
            const { socket, localPort } = await client(port)
            const received = readAll(socket)
            socket.on('error', () => {}) // the killed server's connections may end in a reset
            const half = Math.floor(text.length / 2)
            socket.write(text.slice(0, half))
            const chunks: Buffer[] = []
            const onData = (chunk: Buffer) => chunks.push(chunk)
            socket.on('data', onData)
            await until(() => Buffer.concat(chunks).includes('\n'), 10_000, `first line for client ${i}`)
            socket.off('data', onData)
            const { seen } = parse(Buffer.concat(chunks))
            expect(seen.remote).toEqual({ address: CLIENT_HOST, port: localPort, family: 'IPv4' })
            return { socket, text, half, received, seen }
          }),
        )
        const onDoomed = open.filter(({ seen }) => seen.pid === doomed.pid)
        const onSurvivor = open.filter(({ seen }) => seen.pid === survivor.pid)
        expect(onDoomed.length).toBeGreaterThan(0)
        expect(onSurvivor.length).toBeGreaterThan(0)
        expect(onDoomed.length + onSurvivor.length).toBe(open.length)

        await kill(doomed.child)

        // The killed server's clients: closed by haproxy, without their echo.
        for (const { socket, received, text, half } of onDoomed) {
          socket.end(text.slice(half))
          // Reset or closed: either way, not the echo of the whole message.
          const got = (await received.catch(() => Buffer.alloc(0))).toString('utf8')
          expect(got.endsWith(text)).toBe(false)
          socket.destroy()
        }
        // The other server's clients: their echo completes, whole.
        for (const { socket, received, text, half } of onSurvivor) {
          socket.end(text.slice(half))
          const { seen, echo } = parse(await received)
          expect(seen.pid).toBe(survivor.pid)
          expect(echo).toBe(text)
          socket.destroy()
        }
        // New clients, while haproxy learns the server is gone and after: every one succeeds, on the
        // surviving server.
        const messages = Array.from({ length: 100 }, (_, i) => message(1000 + i))
        const results = await Promise.all(messages.map((text) => exchange(port, text)))
        for (const [i, { seen, echo, localPort }] of results.entries()) {
          expect(echo).toBe(messages[i])
          expect(seen.pid).toBe(survivor.pid)
          expect(seen.remote).toEqual({ address: CLIENT_HOST, port: localPort, family: 'IPv4' })
          expect(seen.version).toBe(version)
        }
        await proxy.child.waitFor('stderr', /Server it_socket\/s0 is DOWN/)
      } finally {
        if (proxy !== undefined) await kill(proxy.child)
        for (const backend of backends) await kill(backend.child)
      }
    }, 60_000)
  })
}
