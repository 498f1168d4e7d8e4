/**
 * listen({ proxyProtocol }): the header is read before a connection is handed out, its client is the
 * connection's remote address, and every way a header can be wrong closes that connection only and
 * is reported.
 */
import { once } from 'node:events'
import { connect as netConnect, type Socket } from 'node:net'
import {
  type Connection,
  connect,
  listen,
  ProxyProtocolError,
  pipe,
  type Server,
  ServerBusyError,
} from 'it-socket'
import { describe, expect, it } from 'vitest'
import { encodeProxyHeader } from '../../src/proxy/proxy-header.js'
import { collectBytes, decoder, encoder } from '../helpers/bytes.js'
import { portOf, recordingServer, until } from '../helpers/net.js'
import { certs } from '../tls/helpers.js'

type Seen = { conn: Connection; remote: unknown; socketRemote: unknown; proxy: Connection['proxy'] }

/** An echo server with proxyProtocol on; it records what each handler saw and what onError got. */
async function proxiedEcho(options: Parameters<typeof listen>[0] = {}): Promise<{
  server: Server
  port: number
  seen: Seen[]
  errors: Error[]
  [Symbol.asyncDispose]: () => Promise<void>
}> {
  const seen: Seen[] = []
  const errors: Error[] = []
  const server = await listen({
    host: '127.0.0.1',
    port: 0,
    proxyProtocol: true,
    onError: (err) => errors.push(err),
    ...options,
  })
  void server.serve((conn) => {
    seen.push({ conn, remote: conn.remoteAddress, socketRemote: conn.socketRemoteAddress, proxy: conn.proxy })
    return pipe(conn, conn)
  })
  return { server, port: portOf(server), seen, errors, [Symbol.asyncDispose]: () => server.close() }
}

/** A raw client: connects, writes each part (one write each), half-closes, resolves with the echo. */
async function send(
  port: number,
  parts: Uint8Array[],
): Promise<{ socket: Socket; echo: Promise<Uint8Array> }> {
  const socket = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true })
  await once(socket, 'connect')
  const echo = collectBytes(socket)
  for (const part of parts) {
    socket.write(part)
    await new Promise((resolve) => setImmediate(resolve))
  }
  socket.end()
  return { socket, echo }
}

const v1 = (src: string, srcPort: number, dst = '127.0.0.1', dstPort = 80): Uint8Array =>
  encoder.encode(`PROXY TCP4 ${src} ${dst} ${srcPort} ${dstPort}\r\n`)

describe('listen({ proxyProtocol })', () => {
  it('v1: the client the header names is remoteAddress; the bytes after it (same segment) arrive intact', async () => {
    await using peer = await proxiedEcho()
    const header = v1('192.0.2.7', 40_000)
    const payload = encoder.encode('hello after the header')
    const { echo } = await send(peer.port, [Buffer.concat([header, payload])])
    expect(decoder.decode(await echo)).toBe('hello after the header')
    expect(peer.seen).toHaveLength(1)
    expect(peer.seen[0]?.remote).toEqual({ address: '192.0.2.7', port: 40_000, family: 'IPv4' })
    expect(peer.seen[0]?.socketRemote).toMatchObject({ address: '127.0.0.1', family: 'IPv4' })
    expect(peer.seen[0]?.proxy).toMatchObject({ version: 1, command: 'PROXY' })
    expect(peer.errors).toEqual([])
  })

  it('v2 with TLVs, sent one byte at a time: parsed, and conn.proxy carries the TLVs', async () => {
    await using peer = await proxiedEcho()
    const header = encodeProxyHeader({
      version: 2,
      command: 'PROXY',
      source: { address: '2001:db8::1', port: 5555, family: 'IPv6' },
      destination: { address: '2001:db8::2', port: 443, family: 'IPv6' },
      tlvs: [{ type: 0x02, value: encoder.encode('example.test') }],
    })
    const bytes = Buffer.concat([header, encoder.encode('ok')])
    const { echo } = await send(
      peer.port,
      [...bytes].map((b) => Uint8Array.of(b)),
    )
    expect(decoder.decode(await echo)).toBe('ok')
    expect(peer.seen[0]?.remote).toEqual({ address: '2001:db8::1', port: 5555, family: 'IPv6' })
    expect(peer.seen[0]?.proxy?.tlvs.authority).toBe('example.test')
  })

  it('LOCAL and UNKNOWN fall back to the socket’s own addresses', async () => {
    await using peer = await proxiedEcho()
    const local = encodeProxyHeader({ version: 2, command: 'LOCAL' })
    await (await send(peer.port, [local])).echo
    const unknown = encoder.encode('PROXY UNKNOWN\r\n')
    await (await send(peer.port, [unknown])).echo
    await until(() => peer.seen.length === 2)
    for (const s of peer.seen) expect(s.remote).toEqual(s.socketRemote)
    expect(peer.seen.map((s) => s.proxy?.command)).toEqual(['LOCAL', 'PROXY'])
  })

  it('a bad header closes that connection only, reported with the peer; the handler never runs', async () => {
    await using peer = await proxiedEcho()
    const bad = await send(peer.port, [encoder.encode('PROXY TCP4 1.2.3.4 5.6.7.8 080 80\r\nhello')])
    await once(bad.socket, 'close')
    expect((await bad.echo).length).toBe(0)
    await until(() => peer.errors.length === 1)
    const err = peer.errors[0] as ProxyProtocolError
    expect(err).toBeInstanceOf(ProxyProtocolError)
    expect(err.code).toBe('ERR_PROXY_PROTOCOL')
    expect(err.message).toMatch(/^Bad PROXY header from 127\.0\.0\.1:\d+: /)
    expect(peer.seen).toHaveLength(0)
    // The server goes on.
    const good = await send(peer.port, [Buffer.concat([v1('192.0.2.9', 1), encoder.encode('x')])])
    expect(decoder.decode(await good.echo)).toBe('x')
  })

  it('a header that never comes times out; one that stops halfway is reported when the peer leaves', async () => {
    await using peer = await proxiedEcho({ proxyProtocol: { timeout: 200 } })
    const silent = netConnect({ host: '127.0.0.1', port: peer.port })
    await once(silent, 'close')
    await until(() => peer.errors.length === 1)
    expect((peer.errors[0] as ProxyProtocolError).reason).toBe('TIMEOUT')
    const half = await send(peer.port, [encoder.encode('PROXY TCP4 192.0')])
    await half.echo.catch(() => undefined)
    await until(() => peer.errors.length === 2)
    expect((peer.errors[1] as ProxyProtocolError).reason).toBe('CLOSED')
    expect(peer.seen).toHaveLength(0)
  })

  it('a peer that connects and leaves without a byte (a health check) is not reported', async () => {
    await using peer = await proxiedEcho()
    for (let i = 0; i < 3; i++) {
      const socket = netConnect({ host: '127.0.0.1', port: peer.port })
      await once(socket, 'connect')
      socket.end()
      await once(socket, 'close')
    }
    // The next client is served, and nothing was reported before it.
    const { echo } = await send(peer.port, [Buffer.concat([v1('192.0.2.9', 1), encoder.encode('x')])])
    expect(decoder.decode(await echo)).toBe('x')
    expect(peer.errors).toEqual([])
  })

  it('a peer that is not trusted is closed unread and reported', async () => {
    await using peer = await proxiedEcho({ proxyProtocol: { trusted: ['10.0.0.0/8'] } })
    const { socket, echo } = await send(peer.port, [Buffer.concat([v1('192.0.2.7', 1), encoder.encode('x')])])
    await once(socket, 'close')
    expect((await echo.catch(() => new Uint8Array(0))).length).toBe(0)
    await until(() => peer.errors.length === 1)
    expect((peer.errors[0] as ProxyProtocolError).reason).toBe('UNTRUSTED_PEER')
    expect(peer.seen).toHaveLength(0)
  })

  it('connections waiting for their header count against maxPending, not maxConnections', async () => {
    await using peer = await proxiedEcho({ maxPending: 1, maxConnections: 1, proxyProtocol: { timeout: 0 } })
    const waiting = netConnect({ host: '127.0.0.1', port: peer.port })
    await once(waiting, 'connect')
    await until(() => peer.server.pending === 1)
    expect(peer.server.connections).toBe(0)
    const refused = netConnect({ host: '127.0.0.1', port: peer.port })
    refused.on('error', () => {})
    await once(refused, 'close')
    await until(() => peer.errors.length === 1)
    expect(peer.errors[0]).toBeInstanceOf(ServerBusyError)
    waiting.destroy()
  })

  it('with tls: the header first, then the handshake; the connection has both', async () => {
    await using peer = await proxiedEcho({ tls: { ...certs.server } })
    const socket = netConnect({ host: '127.0.0.1', port: peer.port })
    await once(socket, 'connect')
    socket.write(v1('198.51.100.4', 1234))
    const { connect: tlsConnect } = await import('node:tls')
    const tls = tlsConnect({ socket, ca: certs.ca, servername: 'localhost' })
    await once(tls, 'secureConnect')
    const echo = collectBytes(tls)
    tls.end('over tls')
    expect(decoder.decode(await echo)).toBe('over tls')
    expect(peer.seen[0]?.remote).toEqual({ address: '198.51.100.4', port: 1234, family: 'IPv4' })
    expect(peer.seen[0]?.conn.tls?.protocol).toMatch(/^TLSv1\.[23]$/)
  })

  it('refuses bad options before binding', async () => {
    await expect(listen({ port: 0, proxyProtocol: { trusted: ['10.0.0.0/33'] } })).rejects.toThrow(
      /not an address or a CIDR block/,
    )
    await expect(listen({ port: 0, proxyProtocol: { versions: [3] as never } })).rejects.toThrow(TypeError)
    await expect(listen({ port: 0, proxyProtocol: { foo: 1 } as never })).rejects.toThrow(/unknown option/)
    await expect(listen({ path: '/tmp/never.sock', proxyProtocol: true })).rejects.toThrow(/TCP port/)
  })

  it('connect({ proxyHeader }) sends the header first: the server sees the client it names', async () => {
    await using peer = await proxiedEcho()
    for (const version of [1, 2] as const) {
      await using conn = await connect({
        host: '127.0.0.1',
        port: peer.port,
        proxyHeader: {
          version,
          command: 'PROXY',
          source: { address: '203.0.113.5', port: 6000 + version, family: 'IPv4' },
          destination: { address: '127.0.0.1', port: peer.port, family: 'IPv4' },
        },
      })
      const echo = collectBytes(conn.source)
      await conn.sink([encoder.encode(`v${version}`)])
      expect(decoder.decode(await echo)).toBe(`v${version}`)
    }
    expect(peer.seen.map((s) => s.remote)).toEqual([
      { address: '203.0.113.5', port: 6001, family: 'IPv4' },
      { address: '203.0.113.5', port: 6002, family: 'IPv4' },
    ])
    expect(peer.seen.map((s) => s.proxy?.version)).toEqual([1, 2])
  })

  it('connect({ proxyHeader }) refuses a bad header, or one with tls, before connecting', async () => {
    const server = await recordingServer()
    try {
      const source = { address: '203.0.113.5', port: 70_000, family: 'IPv4' } as const
      await expect(
        connect({
          host: '127.0.0.1',
          port: server.port,
          proxyHeader: { version: 1, command: 'PROXY', source, destination: source },
        }),
      ).rejects.toThrow(/connect\(\): proxyHeader: /)
      await expect(
        connect({
          host: '127.0.0.1',
          port: server.port,
          tls: true,
          proxyHeader: { version: 2, command: 'LOCAL' },
        }),
      ).rejects.toThrow(/proxyHeader and tls together/)
      expect(server.accepted).toEqual([])
    } finally {
      await server.close()
    }
  })

  it('a plain client of a plain server has no proxy, and socketRemoteAddress equals remoteAddress', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 })
    void server.serve((conn) => pipe(conn, conn))
    try {
      await using conn = await connect({ host: '127.0.0.1', port: portOf(server) })
      expect(conn.proxy).toBeUndefined()
      expect(conn.socketRemoteAddress).toEqual(conn.remoteAddress)
    } finally {
      await server.close()
    }
  })
})
