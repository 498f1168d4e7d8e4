import {
  connect,
  framed,
  json,
  lengthPrefixed,
  lines,
  listen,
  pipe,
  type Server,
  ServerBusyError,
  type ServerStats,
} from 'it-socket'
import { describe, expect, it } from 'vitest'
import { collectBytes, encoder } from '../helpers/bytes.js'
import { portOf, rawConnect, readAll, until } from '../helpers/net.js'
import { certs, reports, trustServer } from '../tls/helpers.js'

const host = '127.0.0.1'

/** A server echoing every connection with `pipe(conn, conn)` (the direct sink); errors recorded. */
async function echoServer(): Promise<{ server: Server; errors: Error[]; served: Promise<void> }> {
  const errors: Error[] = []
  const server = await listen({ host, onError: (err) => errors.push(err) })
  const served = server.serve((conn) => pipe(conn, conn))
  return { server, errors, served }
}

/** The counts of `stats` that do not depend on timing. */
function counts(stats: ServerStats): Omit<ServerStats, 'startedAt'> {
  const { startedAt: _, ...rest } = stats
  return rest
}

describe('conn.stats', () => {
  it('counts the bytes both ways at both ends, exactly, for each way a sink runs', async () => {
    const { server, served } = await echoServer()
    const port = portOf(server)
    const sizes = [1, 100, 70_000]
    const total = sizes.reduce((a, b) => a + b, 0)
    // items: conn.sink() of an array of chunks
    {
      const conn = await connect({ host, port })
      const before = Date.now()
      expect(conn.stats.bytesRead).toBe(0)
      expect(conn.stats.closedAt).toBeUndefined()
      const [, echo] = await Promise.all([
        conn.sink(sizes.map((n) => new Uint8Array(n).fill(7))),
        collectBytes(conn.source),
      ])
      expect(echo.length).toBe(total)
      await conn.close()
      await conn.closed
      const s = conn.stats
      expect(s).toMatchObject({ bytesRead: total, bytesWritten: total })
      expect(s.closedAt).toBeGreaterThanOrEqual(s.openedAt)
      // An epoch time (from the monotonic clock's origin: within a second of Date.now()'s).
      expect(Math.abs(s.openedAt - before)).toBeLessThan(1000)
      expect(s.durationMs).toBe((s.closedAt as number) - s.openedAt)
    }
    // batches: pipe(array, encode, conn); pushed: framed(conn, codec).write()
    {
      const conn = await connect({ host, port })
      const lp = lengthPrefixed()
      const reading = collectBytes(conn.source)
      await pipe([encoder.encode('abc'), encoder.encode('de')], lp.encode, conn)
      expect((await reading).length).toBe(1 + 3 + 1 + 2)
      expect(conn.stats).toMatchObject({ bytesRead: 7, bytesWritten: 7 })
      await conn.close()
    }
    {
      const conn = await connect({ host, port })
      const f = framed(conn, lengthPrefixed())
      expect(Buffer.from(await f.request(encoder.encode('hello'))).toString()).toBe('hello')
      expect(conn.stats).toMatchObject({ bytesRead: 6, bytesWritten: 6 })
      await conn.close()
    }
    await server.close()
    await served
    // The server's ends wrote what they read, and its totals hold every connection's.
    expect(server.stats).toMatchObject({ bytesRead: total + 7 + 6, bytesWritten: total + 7 + 6 })
  })

  it('counts plaintext bytes on TLS, at both ends', async () => {
    const server = await listen({ host, tls: certs.server })
    const served = server.serve((conn) => pipe(conn, conn))
    const conn = await connect({ host, port: portOf(server), tls: trustServer })
    const [, echo] = await Promise.all([
      conn.sink([encoder.encode('x'.repeat(1000))]),
      collectBytes(conn.source),
    ])
    expect(echo.length).toBe(1000)
    await conn.close()
    expect(conn.stats).toMatchObject({ bytesRead: 1000, bytesWritten: 1000 })
    await server.close()
    await served
    expect(server.stats).toMatchObject({ accepted: 1, closed: 1, bytesRead: 1000, bytesWritten: 1000 })
  })
})

describe('server.stats', () => {
  it('counts accepted, active, peak, closed and the bytes of open connections', async () => {
    const { server, served } = await echoServer()
    const port = portOf(server)
    expect(counts(server.stats)).toEqual({
      accepted: 0,
      active: 0,
      pending: 0,
      peakActive: 0,
      closed: 0,
      refusedBusy: 0,
      handshakeFailures: 0,
      bytesRead: 0,
      bytesWritten: 0,
      errors: {},
    })
    expect(server.stats.startedAt).toBeLessThanOrEqual(Date.now())
    const a = await rawConnect(port)
    const b = await rawConnect(port)
    const c = await rawConnect(port)
    a.write('12345')
    await until(() => server.stats.bytesWritten === 5, 10_000, 'the echo of 5 bytes')
    expect(server.stats).toMatchObject({ accepted: 3, active: 3, peakActive: 3, closed: 0, bytesRead: 5 })
    for (const s of [a, b]) {
      s.end()
      await readAll(s)
    }
    await until(() => server.stats.closed === 2, 10_000, 'two closed')
    expect(server.stats).toMatchObject({
      accepted: 3,
      active: 1,
      peakActive: 3,
      bytesRead: 5,
      bytesWritten: 5,
    })
    c.end()
    await readAll(c)
    await server.close()
    await served
    expect(counts(server.stats)).toEqual({
      accepted: 3,
      active: 0,
      pending: 0,
      peakActive: 3,
      closed: 3,
      refusedBusy: 0,
      handshakeFailures: 0,
      bytesRead: 5,
      bytesWritten: 5,
      errors: {},
    })
  })

  it('counts a connection refused as busy, and the busy error by its code', async () => {
    const errors: Error[] = []
    const server = await listen({ host, maxConnections: 1, maxPending: 1, onError: (e) => errors.push(e) })
    const port = portOf(server)
    const held: Promise<void>[] = []
    const loop = (async () => {
      for await (const conn of server) held.push(collectBytes(conn.source).then(() => conn.close()))
    })()
    const first = await rawConnect(port)
    await until(() => server.stats.active === 1, 10_000, 'the first connection handed out')
    const second = await rawConnect(port)
    await until(() => server.stats.pending === 1, 10_000, 'the second waiting')
    const third = await rawConnect(port)
    await readAll(third) // closed at once
    await until(() => server.stats.refusedBusy === 1, 10_000, 'one refused')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toBeInstanceOf(ServerBusyError)
    expect(server.stats).toMatchObject({ accepted: 3, active: 1, pending: 1, errors: { ERR_SERVER_BUSY: 1 } })
    for (const s of [first, second]) s.end()
    await until(() => server.stats.closed === 2, 10_000, 'both served')
    await server.close()
    await loop
    await Promise.all(held)
    expect(server.stats).toMatchObject({ accepted: 3, closed: 2, peakActive: 1, refusedBusy: 1 })
  })

  it('counts failed TLS handshakes and PROXY headers, but not a client that left without a byte', async () => {
    const tlsReports = reports()
    const tlsServer = await listen({ host, tls: certs.server, onError: tlsReports.onError })
    const garbage = await rawConnect(portOf(tlsServer))
    garbage.end('this is not a TLS ClientHello\r\n\r\n')
    await readAll(garbage)
    const silent = await rawConnect(portOf(tlsServer))
    silent.end()
    await readAll(silent)
    await tlsReports.count(1)
    await tlsServer.close()
    const tlsStats = tlsServer.stats
    expect(tlsStats).toMatchObject({ accepted: 2, handshakeFailures: 1, closed: 0, active: 0 })
    expect(Object.values(tlsStats.errors)).toEqual([1])
    expect(Object.keys(tlsStats.errors)).toEqual([(tlsReports.errors[0] as Error & { code: string }).code])

    const proxyReports = reports()
    const proxyServer = await listen({ host, proxyProtocol: true, onError: proxyReports.onError })
    const bad = await rawConnect(portOf(proxyServer))
    bad.end('GET / HTTP/1.1\r\n\r\n')
    await readAll(bad)
    await proxyReports.count(1)
    await proxyServer.close()
    expect(proxyServer.stats).toMatchObject({
      accepted: 1,
      handshakeFailures: 1,
      errors: { ERR_PROXY_PROTOCOL: 1 },
    })
  })

  it('counts each connection that failed once, by code, and a handler error by its name', async () => {
    const errors: Error[] = []
    const server = await listen({ host, onError: (e) => errors.push(e) })
    let n = 0
    const served = server.serve(async (conn) => {
      if (n++ === 0) {
        await collectBytes(conn.source) // the peer resets this one
        return
      }
      throw new TypeError('the handler failed')
    })
    const port = portOf(server)
    const reset = await rawConnect(port)
    reset.write('x')
    await until(() => server.stats.bytesRead === 1, 10_000, 'the byte')
    reset.resetAndDestroy()
    await until(() => server.stats.closed === 1, 10_000, 'the reset connection closed')
    const second = await rawConnect(port)
    await readAll(second)
    await until(() => server.stats.closed === 2, 10_000, 'the failed handler’s connection closed')
    await server.close()
    await served
    expect(server.stats.errors).toEqual({ ERR_CONNECTION_RESET: 1, TypeError: 1 })
  })
})

describe('framed().stats', () => {
  it('counts the messages decoded and encoded, by every way of reading and writing', async () => {
    const server = await listen({ host })
    const served = server.serve(async (conn) => {
      const f = framed(conn, lines())
      await pipe(f.source, f) // echo, line by line
    })
    const conn = await connect({ host, port: portOf(server) })
    const f = framed(conn, lines())
    expect(f.stats).toEqual({ messagesDecoded: 0, messagesEncoded: 0 })
    await f.write('one')
    expect(await f.read()).toBe('one')
    expect(await Promise.all(['two', 'three'].map((m) => f.request(m)))).toEqual(['two', 'three'])
    expect(await f.request('four')).toBe('four')
    expect(f.stats).toEqual({ messagesDecoded: 4, messagesEncoded: 4 })
    const rest: string[] = []
    await Promise.all([
      f.sink(['five', 'six']),
      (async () => {
        for await (const line of f.source) rest.push(line)
      })(),
    ])
    expect(rest).toEqual(['five', 'six'])
    expect(f.stats).toEqual({ messagesDecoded: 6, messagesEncoded: 6 })
    expect(conn.stats).toMatchObject({ bytesWritten: 28, bytesRead: 28 })
    await conn.close()
    await server.close()
    await served
  })

  it('counts a codec with only encode, and a message that failed to encode not at all', async () => {
    const server = await listen({ host })
    const served = server.serve((conn) => pipe(conn, conn))
    const conn = await connect({ host, port: portOf(server) })
    const { decode, encode } = json<unknown>(lines())
    const f = framed(conn, { kind: 'json', decode, encode }) // no createDecoder, no encodeFrame
    expect(await f.request({ a: 1 })).toEqual({ a: 1 })
    const circular: { self?: unknown } = {}
    circular.self = circular
    await expect(f.write(circular)).rejects.toThrow()
    expect(f.stats).toEqual({ messagesDecoded: 1, messagesEncoded: 1 })
    await conn.close()
    await server.close()
    await served
  })
})
