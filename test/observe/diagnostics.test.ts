import { spawn } from 'node:child_process'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import {
  CHANNELS,
  type ConnectionCloseMessage,
  type ConnectionErrorMessage,
  type ConnectionOpenMessage,
  connect,
  listen,
  pipe,
  type ServerCloseMessage,
  type ServerErrorMessage,
  type ServerListenMessage,
} from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { collectBytes, encoder } from '../helpers/bytes.js'
import { portOf, rawConnect, readAll, until } from '../helpers/net.js'

const host = '127.0.0.1'

/** Every message published on it-socket's channels while subscribed, by channel name. */
function record(): { messages: Map<string, unknown[]>; stop: () => void } {
  const messages = new Map<string, unknown[]>()
  const listeners = Object.values(CHANNELS).map((name) => {
    messages.set(name, [])
    const listener = (message: unknown): void => {
      messages.get(name)?.push(message)
    }
    subscribe(name, listener)
    return () => unsubscribe(name, listener)
  })
  return {
    messages,
    stop: () => {
      for (const off of listeners) off()
    },
  }
}

let recording: ReturnType<typeof record> | undefined
afterEach(() => {
  recording?.stop()
  recording = undefined
})

describe('diagnostics_channel', () => {
  it('publishes listen, open, close (with duration and bytes) and server close', async () => {
    recording = record()
    const { messages } = recording
    const server = await listen({ host })
    const served = server.serve((conn) => pipe(conn, conn))
    const listened = messages.get(CHANNELS.serverListen) as ServerListenMessage[]
    expect(listened).toHaveLength(1)
    expect(listened[0]?.server).toBe(server)
    expect(listened[0]?.address).toEqual(server.address)

    const conn = await connect({ host, port: portOf(server) })
    const [, echo] = await Promise.all([conn.sink([encoder.encode('ping')]), collectBytes(conn.source)])
    expect(echo.length).toBe(4)
    await conn.closed
    await until(() => server.stats.closed === 1, 10_000, 'the server side closed')

    const opened = messages.get(CHANNELS.connectionOpen) as ConnectionOpenMessage[]
    expect(opened).toHaveLength(2)
    const client = opened.find((m) => m.connection === conn)
    const accepted = opened.find((m) => m.connection !== conn)
    expect(client?.server).toBeUndefined()
    expect(accepted?.server).toBe(server)
    expect(accepted?.connection.remoteAddress).toEqual(conn.localAddress)

    const closes = messages.get(CHANNELS.connectionClose) as ConnectionCloseMessage[]
    expect(closes).toHaveLength(2)
    for (const m of closes) {
      expect(m).toMatchObject({ bytesRead: 4, bytesWritten: 4, error: undefined })
      expect(m.durationMs).toBe(m.connection.stats.durationMs)
      expect(m.durationMs).toBeGreaterThanOrEqual(0)
    }
    expect(closes.find((m) => m.connection === conn)?.server).toBeUndefined()
    expect(closes.find((m) => m.connection !== conn)?.server).toBe(server)
    expect(messages.get(CHANNELS.connectionError)).toEqual([])

    await server.close()
    await served
    const closed = messages.get(CHANNELS.serverClose) as ServerCloseMessage[]
    expect(closed).toHaveLength(1)
    expect(closed[0]).toMatchObject({ server, address: server.address })
    expect(closed[0]?.stats).toMatchObject({ accepted: 1, closed: 1, bytesRead: 4, bytesWritten: 4 })
  })

  it('publishes a connection’s failure once, on error and on close, and a busy refusal as a server error', async () => {
    recording = record()
    const { messages } = recording
    const server = await listen({ host, maxConnections: 1, maxPending: 1, onError: () => {} })
    const port = portOf(server)
    const loop = (async () => {
      for await (const conn of server) {
        void collectBytes(conn.source).then(
          () => conn.close(),
          () => {},
        )
      }
    })()
    const first = await rawConnect(port)
    first.write('x')
    await until(() => server.stats.bytesRead === 1, 10_000, 'the first byte read')
    const second = await rawConnect(port)
    await until(() => server.stats.pending === 1, 10_000, 'the second waiting')
    const third = await rawConnect(port)
    await readAll(third)
    await until(() => server.stats.refusedBusy === 1, 10_000, 'the third refused')
    const serverErrors = messages.get(CHANNELS.serverError) as ServerErrorMessage[]
    expect(serverErrors).toHaveLength(1)
    expect(serverErrors[0]?.server).toBe(server)
    expect(serverErrors[0]?.error).toMatchObject({ code: 'ERR_SERVER_BUSY' })
    expect(serverErrors[0]?.error.message).toContain(`127.0.0.1:${third.localPort}`)

    const firstPort = first.localPort
    first.resetAndDestroy()
    await until(() => server.stats.closed === 1, 10_000, 'the reset connection closed')
    const errors = messages.get(CHANNELS.connectionError) as ConnectionErrorMessage[]
    expect(errors).toHaveLength(1)
    expect(errors[0]?.server).toBe(server)
    expect(errors[0]?.error).toMatchObject({ code: 'ERR_CONNECTION_RESET' })
    expect(errors[0]?.connection.remoteAddress).toMatchObject({ port: firstPort })
    const closes = messages.get(CHANNELS.connectionClose) as ConnectionCloseMessage[]
    expect(closes).toHaveLength(1)
    expect(closes[0]?.error).toBe(errors[0]?.error)
    expect(closes[0]?.bytesRead).toBe(1)

    second.end()
    await readAll(second)
    await server.close({ timeout: 0 })
    await loop
  })

  it('publishes nothing to a channel after its subscriber left', async () => {
    const seen: unknown[] = []
    const listener = (m: unknown): void => {
      seen.push(m)
    }
    subscribe(CHANNELS.connectionOpen, listener)
    unsubscribe(CHANNELS.connectionOpen, listener)
    const server = await listen({ host })
    const served = server.serve((conn) => pipe(conn, conn))
    const conn = await connect({ host, port: portOf(server) })
    await conn.close()
    await server.close()
    await served
    expect(seen).toEqual([])
  })
})

/** Runs the fixture exchange with `NODE_DEBUG` set; its stdout (the ports) and its debug lines. */
async function debugExchange(nodeDebug: string): Promise<{ stdout: string; lines: string[] }> {
  const script = fileURLToPath(new URL('./fixtures/debug-exchange.mjs', import.meta.url))
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_DEBUG: nodeDebug },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const [code] = await once(child, 'exit')
  expect(code, stderr).toBe(0)
  const lines = stderr
    .split('\n')
    .filter((line) => /^IT-SOCKET \d+: /.test(line))
    .map((line) => line.replace(/^IT-SOCKET \d+: /, '').replace(/after \d+ ms/, 'after N ms'))
  return { stdout, lines }
}

describe('NODE_DEBUG=it-socket', () => {
  it('prints one line per lifecycle event, naming the peer, on stderr', async () => {
    // A list, in any case, as Node.js reads NODE_DEBUG.
    const { stdout, lines } = await debugExchange('tls,It-Socket')
    const { port, client, raw } = JSON.parse(stdout) as { port: number; client: number; raw: number }
    const server = `127.0.0.1:${port}`
    expect(lines).toEqual(
      expect.arrayContaining([
        `listen ${server}`,
        `open 127.0.0.1:${client} (server ${server})`,
        `open ${server} (client)`,
        `close 127.0.0.1:${client} (server ${server}) after N ms, 5 B read, 5 B written`,
        `close ${server} (client) after N ms, 5 B read, 5 B written`,
        `open 127.0.0.1:${raw} (server ${server})`,
        expect.stringMatching(
          new RegExp(`^error 127\\.0\\.0\\.1:${raw} \\(server ${server}\\) ERR_CONNECTION_RESET: `),
        ),
        expect.stringMatching(
          new RegExp(
            `^close 127\\.0\\.0\\.1:${raw} \\(server ${server}\\) after N ms, 3 B read, 3 B written, ERR_CONNECTION_RESET: `,
          ),
        ),
        `server close ${server}`,
      ]),
    )
    expect(lines).toHaveLength(9)
    expect(lines[0]).toBe(`listen ${server}`)
    expect(lines[8]).toBe(`server close ${server}`)
  })

  it('prints nothing when NODE_DEBUG names something else, and honours a wildcard', async () => {
    expect((await debugExchange('it-sock,net-socket')).lines).toEqual([])
    expect((await debugExchange('it-*')).lines).toHaveLength(9)
  })
})
