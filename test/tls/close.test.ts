/**
 * The close contract (docs/CLOSE.md) over TLS: one test per row and per "Also:" bullet, named as in
 * test/socket/connection.test.ts with an "over TLS:" prefix. The peer is it-socket or Node.js's own
 * `node:tls`; where the contract speaks of a FIN, TLS sends close_notify first, and the tests that say
 * so read it off the wire (a recording proxy, and the session's keys from the peer's `'keylog'`).
 */
import { createDecipheriv, createHmac } from 'node:crypto'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  connect as netConnect,
  type Socket,
} from 'node:net'
import {
  type ConnectionOptions,
  createServer as createTlsServer,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls'
import {
  AbortError,
  type Connection,
  ConnectionResetError,
  connect,
  listen,
  pipe,
  type Server,
  SinkInUseError,
  SocketClosedError,
  TimeoutError,
} from 'it-socket'
import type { Source } from 'it-stream-types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { collectBytes, decoder, encoder, pseudoRandomBytes, repeatChunk, sha256 } from '../helpers/bytes.js'
import { portOf, rawConnect, readAll, until } from '../helpers/net.js'

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url))
const ca = fixture('ca.pem')
const cert = fixture('server.pem')
const key = fixture('server-key.pem')

let server: Server
let accepted: AsyncIterator<Connection>
/** What the server reported (failed handshakes would land here: none is expected). */
let serverErrors: Error[]
/** Peers, proxies and servers a test opened, closed after it whatever happened. */
let cleanups: Array<() => unknown>

beforeEach(async () => {
  serverErrors = []
  cleanups = []
  server = await listen({
    host: '127.0.0.1',
    port: 0,
    tls: { cert, key },
    onError: (err) => serverErrors.push(err),
  })
  accepted = server[Symbol.asyncIterator]()
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await server.close({ timeout: 100 })
  expect(serverErrors).toEqual([])
})

async function nextConnection(): Promise<Connection> {
  const result = await accepted.next()
  if (result.done === true) throw new Error('server closed')
  return result.value
}

/**
 * A `node:tls` client (half-open allowed, as it-socket's are), its handshake done. Over `socket` when
 * one is given (a raw TCP socket we can reset), else over a socket of its own.
 */
async function tlsPeer(port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  const peer = halfOpenTlsConnect({ host: '127.0.0.1', port, ca, ...options })
  await once(peer, 'secureConnect')
  return peer
}

/**
 * `tls.connect()` with `allowHalfOpen: true`, which Node.js passes on to the TLS socket though
 * @types/node's `ConnectionOptions` does not declare it. Closed after the test.
 */
function halfOpenTlsConnect(options: ConnectionOptions): TLSSocket {
  const peer = tlsConnect(Object.assign({ allowHalfOpen: true }, options))
  cleanups.push(() => peer.destroy())
  return peer
}

/** A `node:tls` peer connected to the server, and the it-socket connection accepted for it. */
async function tlsPair(options: ConnectionOptions = {}): Promise<{ peer: TLSSocket; conn: Connection }> {
  const [peer, conn] = await Promise.all([tlsPeer(portOf(server), options), nextConnection()])
  return { peer, conn }
}

/** it-socket on both ends: a TLS client connected to the server, and the connection accepted for it. */
async function itSocketPair(): Promise<{ client: Connection; conn: Connection }> {
  const [client, conn] = await Promise.all([
    connect({ host: 'localhost', port: portOf(server), tls: { ca } }),
    nextConnection(),
  ])
  cleanups.push(() => client.abort())
  return { client, conn }
}

/** Resolves once the peer has read `text` (it keeps reading: this only watches). */
function peerReceives(peer: Socket, text: string): Promise<void> {
  let seen = ''
  return new Promise((resolve) => {
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString()
      if (seen.includes(text)) {
        peer.off('data', onData)
        resolve()
      }
    }
    peer.on('data', onData)
  })
}

describe('over TLS: Connection close contract', () => {
  it("over TLS: sink's source ends: our side half-closes and the connection stays readable", async () => {
    const { peer, conn } = await tlsPair()
    expect(conn.tls?.protocol).toBe('TLSv1.3')
    const peerReads = readAll(peer)
    await conn.sink([encoder.encode('reply')])
    // The peer saw our end…
    expect(decoder.decode(await peerReads)).toBe('reply')
    expect(peer.readableEnded).toBe(true)
    // …and can still send to us after it (TLS 1.3: each close_notify closes one direction only).
    peer.end('late data')
    expect(decoder.decode(await collectBytes(conn.source))).toBe('late data')
    await conn.close()
    await conn.closed
    expect(conn.isClosed).toBe(true)
  })

  it("over TLS: sink's source ends: close_notify goes out after the last byte, then FIN (read off the wire)", async () => {
    const tap = await recordingProxy(portOf(server))
    const { peer, keylog } = await keyloggingPeer(tap.port)
    const conn = await nextConnection()
    const peerReads = readAll(peer)
    // A request, then the reply and the end of our side.
    peer.write('question')
    const iterator = conn.source[Symbol.asyncIterator]()
    expect(decoder.decode((await iterator.next()).value as Uint8Array)).toBe('question')
    await conn.sink([encoder.encode('reply')])
    await tap.serverEnded // our FIN: everything recorded came before it
    expect(decoder.decode(await peerReads)).toBe('reply')
    const records = decryptTls13(tap.fromServer(), trafficSecret(keylog, 'SERVER_TRAFFIC_SECRET_0'))
    // Session tickets (handshake messages, 22) aside: our bytes (application data, 23), then the
    // close_notify alert (21: level 1 warning, description 0), and nothing after it.
    expect(records.filter((r) => r.type !== 22)).toEqual([
      { type: 23, content: Buffer.from('reply') },
      { type: 21, content: Buffer.from([1, 0]) },
    ])
    peer.end()
    await conn.closed
  })

  it("over TLS: sink's source ends at once after the handshake: close_notify still goes out before FIN (read off the wire)", async () => {
    // A server that greets and ends its side as soon as the connection is handed out.
    const tap = await recordingProxy(portOf(server))
    const { peer, keylog } = await keyloggingPeer(tap.port)
    const conn = await nextConnection()
    const peerReads = readAll(peer)
    await conn.sink([encoder.encode('greeting')])
    await tap.serverEnded
    expect(decoder.decode(await peerReads)).toBe('greeting')
    const records = decryptTls13(tap.fromServer(), trafficSecret(keylog, 'SERVER_TRAFFIC_SECRET_0'))
    expect(records.filter((r) => r.type !== 22)).toEqual([
      { type: 23, content: Buffer.from('greeting') },
      { type: 21, content: Buffer.from([1, 0]) },
    ])
    peer.end()
    await conn.closed
  })

  it("over TLS: connect(): sink's source ends: close_notify goes out after the last byte, then FIN (read off the wire)", async () => {
    // it-socket as the client this time; the node:tls server's 'keylog' gives the session's keys.
    const keylog: string[] = []
    let onRequest = (_request: string): void => {}
    const request = new Promise<string>((resolve) => {
      onRequest = resolve
    })
    const peer = createTlsServer(
      { cert, key, allowHalfOpen: true, ciphers: 'TLS_AES_128_GCM_SHA256' },
      (socket) => {
        // Reads to our end, then ends its side in turn.
        void readAll(socket).then((bytes) => {
          onRequest(bytes.toString())
          socket.end()
        })
      },
    )
    peer.on('keylog', (line: Buffer) => keylog.push(line.toString()))
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => peer.close())
    const tap = await recordingProxy((peer.address() as AddressInfo).port)
    const conn = await connect({ host: 'localhost', port: tap.port, tls: { ca } })
    cleanups.push(() => conn.abort())
    expect(conn.tls?.cipher).toBe('TLS_AES_128_GCM_SHA256')
    await conn.sink([encoder.encode('request')])
    expect(await request).toBe('request')
    await tap.clientEnded
    const records = decryptTls13(tap.fromClient(), trafficSecret(keylog, 'CLIENT_TRAFFIC_SECRET_0'))
    expect(records).toEqual([
      { type: 23, content: Buffer.from('request') },
      { type: 21, content: Buffer.from([1, 0]) },
    ])
    // The server ended its side in turn: our source ends, the connection closes.
    expect((await collectBytes(conn.source)).byteLength).toBe(0)
    await conn.closed
  })

  it("over TLS: sink's source throws: the connection is aborted and sink rejects with that error", async () => {
    const { peer, conn } = await tlsPair()
    const boom = new Error('source failed')
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield encoder.encode('partial')
      throw boom
    }
    const peerReads = readAll(peer).catch((e: unknown) => e)
    await expect(conn.sink(failing())).rejects.toBe(boom)
    await peerReads
    await until(() => conn.isClosed, 5_000, 'the connection to close')
    // The same error surfaces on the other half.
    await expect(collectBytes(conn.source)).rejects.toBe(boom)
  })

  it("over TLS: peer FIN (the peer's close_notify): our source ends and our side stays writable", async () => {
    const tap = await recordingProxy(portOf(server))
    const { peer, keylog } = await keyloggingPeer(tap.port)
    const conn = await nextConnection()
    peer.end('question')
    expect(decoder.decode(await collectBytes(conn.source))).toBe('question')
    // What ended our source: the peer's close_notify after its bytes, then its FIN.
    expect(decryptTls13(tap.fromClient(), trafficSecret(keylog, 'CLIENT_TRAFFIC_SECRET_0'))).toEqual([
      { type: 23, content: Buffer.from('question') },
      { type: 21, content: Buffer.from([1, 0]) },
    ])
    expect(conn.isClosed).toBe(false)
    const peerReads = readAll(peer)
    await conn.sink([encoder.encode('answer after your close_notify')])
    expect(decoder.decode(await peerReads)).toBe('answer after your close_notify')
    await conn.closed
    expect(conn.isClosed).toBe(true)
  })

  it('over TLS: peer FIN (it-socket on both ends): each side ends its own direction, the other keeps writing', async () => {
    const { client, conn } = await itSocketPair()
    expect(client.tls?.protocol).toBe('TLSv1.3')
    await client.sink([encoder.encode('question')])
    expect(decoder.decode(await collectBytes(conn.source))).toBe('question')
    const reply = collectBytes(client.source)
    await conn.sink([encoder.encode('answer')])
    expect(decoder.decode(await reply)).toBe('answer')
    await Promise.all([client.closed, conn.closed])
  })

  it('over TLS: peer FIN without close_notify (a truncated stream) ends our source as a clean end', async () => {
    // A man in the middle (the proxy) cuts the stream: a FIN reaches us, no close_notify ever came.
    // Node.js (OpenSSL with SSL_OP_IGNORE_UNEXPECTED_EOF) reports it as an end, not as an error.
    const tap = await recordingProxy(portOf(server))
    const { peer, keylog } = await keyloggingPeer(tap.port)
    const conn = await nextConnection()
    const iterator = conn.source[Symbol.asyncIterator]()
    peer.write('cut short')
    expect(decoder.decode((await iterator.next()).value as Uint8Array)).toBe('cut short')
    tap.cutClientSide()
    expect(await iterator.next()).toEqual({ done: true, value: undefined })
    // What reached us: the bytes and no alert.
    const records = decryptTls13(tap.fromClient(), trafficSecret(keylog, 'CLIENT_TRAFFIC_SECRET_0'))
    expect(records).toEqual([{ type: 23, content: Buffer.from('cut short') }])
    expect(conn.isClosed).toBe(false)
    await conn.close({ timeout: 0 })
    await conn.closed
  })

  it('over TLS: peer reset: source throws ConnectionResetError naming the peer', async () => {
    // A reset is a TCP RST: the peer's raw socket under its TLS socket, resetAndDestroy().
    const raw = await rawConnect(portOf(server))
    cleanups.push(() => raw.destroy())
    const [peer, conn] = await Promise.all([tlsPeer(portOf(server), { socket: raw }), nextConnection()])
    peer.write('some bytes')
    const iterator = conn.source[Symbol.asyncIterator]()
    expect(decoder.decode((await iterator.next()).value as Uint8Array)).toBe('some bytes')
    const pending = iterator.next()
    raw.resetAndDestroy()
    const err = await pending.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionResetError)
    expect((err as ConnectionResetError).code).toBe('ERR_CONNECTION_RESET')
    expect((err as Error).message).toContain('127.0.0.1:')
    expect((err as Error).cause).toMatchObject({ code: 'ECONNRESET' })
    await conn.closed
  })

  it('over TLS: peer reset: source yields the bytes that arrived before it, then throws ConnectionResetError', async () => {
    // A node:tls server that sends 18 bytes once asked; once our client holds them, unread, it resets
    // its raw TCP socket.
    let acceptedRaw: Socket | undefined
    const peer = createTlsServer({ cert, key, allowHalfOpen: true }, (socket) => {
      socket.once('data', () => socket.write('18 bytes, then RST'))
    })
    peer.on('connection', (socket: Socket) => {
      acceptedRaw = socket
    })
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => peer.close())
    const conn = await connect({ host: 'localhost', port: (peer.address() as AddressInfo).port, tls: { ca } })
    cleanups.push(() => conn.abort())
    let release = (): void => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const writing = conn.sink(
      (async function* () {
        yield encoder.encode('go')
        await held
      })(),
    )
    await until(() => conn.readableLength === 18, 5_000, 'the 18 bytes to arrive')
    acceptedRaw?.resetAndDestroy()
    await conn.closed
    release()
    await expect(writing).rejects.toBeInstanceOf(ConnectionResetError)
    const received: string[] = []
    const err = await (async () => {
      for await (const chunk of conn.source) received.push(decoder.decode(chunk))
    })().catch((e: unknown) => e)
    expect(received.join('')).toBe('18 bytes, then RST')
    expect(err).toBeInstanceOf(ConnectionResetError)
    expect((err as ConnectionResetError).code).toBe('ERR_CONNECTION_RESET')
  })

  it("over TLS: the peer's TLS socket destroyed once it has read everything: a FIN, so our source just ends", async () => {
    // destroy() on a TLS socket sends no close_notify, and a plain FIN when nothing sent to it is
    // left unread (else the kernel resets, as on plain TCP): the truncation case above, not a reset.
    const { peer, conn } = await tlsPair()
    const peerReads = readAll(peer)
    await conn.sink([encoder.encode('bye')])
    expect(decoder.decode(await peerReads)).toBe('bye') // the peer has read all we sent
    const iterator = conn.source[Symbol.asyncIterator]()
    peer.write('last bytes', () => peer.destroy())
    expect(decoder.decode((await iterator.next()).value as Uint8Array)).toBe('last bytes')
    expect(await iterator.next()).toEqual({ done: true, value: undefined })
    await conn.closed
  })

  it('over TLS: source left early: reading stops, the sink still flushes, the socket closes once both are done', async () => {
    const { peer, conn } = await tlsPair()
    const peerReads = readAll(peer)
    peer.write('first')
    let first = ''
    for await (const chunk of conn.source) {
      first = decoder.decode(chunk)
      break
    }
    expect(first).toBe('first')
    expect(conn.isClosed).toBe(false)
    const payload = pseudoRandomBytes(4 * 1024 * 1024)
    await conn.sink([payload])
    peer.end()
    const received = await peerReads
    expect(sha256([received])).toBe(sha256([payload]))
    await until(() => conn.isClosed, 5_000, 'connection to close')
  })

  it("over TLS: close(): ends our side and resolves without waiting for the peer's end; closed resolves once it ends; idempotent", async () => {
    const { peer, conn } = await tlsPair()
    const peerSawEnd = once(peer, 'end')
    peer.resume()
    const first = conn.close()
    const second = conn.close()
    await Promise.all([first, second])
    // Our end is out, the peer has not ended: close() did not wait for it.
    await peerSawEnd
    expect(conn.isClosed).toBe(false)
    peer.end()
    await conn.closed
    expect(conn.isClosed).toBe(true)
    await conn.close()
  })

  it('over TLS: close(): destroys the socket after its timeout when the peer never ends', async () => {
    const { peer, conn } = await tlsPair()
    const flood = setInterval(() => peer.write(new Uint8Array(1024)), 1)
    try {
      await conn.close({ timeout: 50 })
      await conn.closed
      expect(conn.isClosed).toBe(true)
    } finally {
      clearInterval(flood)
    }
  })

  it('over TLS: close() right after a write in the same tick still sends that write before close_notify', async () => {
    const { peer, conn } = await tlsPair()
    peer.on('end', () => peer.end())
    const peerReads = readAll(peer)
    const writing = conn.sink(
      (async function* () {
        yield encoder.encode('last words')
        void conn.close()
        yield encoder.encode(' never sent')
      })(),
    )
    await expect(writing).rejects.toBeInstanceOf(SocketClosedError)
    expect(decoder.decode(await peerReads)).toBe('last words')
    await conn.closed
  })

  it('over TLS: close(): the pending write, then close_notify, then FIN (read off the wire)', async () => {
    const tap = await recordingProxy(portOf(server))
    const { peer, keylog } = await keyloggingPeer(tap.port)
    const conn = await nextConnection()
    peer.on('end', () => peer.end())
    const peerReads = readAll(peer)
    peer.write('question')
    const iterator = conn.source[Symbol.asyncIterator]()
    expect(decoder.decode((await iterator.next()).value as Uint8Array)).toBe('question')
    const writing = conn.sink(
      (async function* () {
        yield encoder.encode('last words')
        void conn.close()
        yield encoder.encode(' never sent')
      })(),
    )
    await expect(writing).rejects.toBeInstanceOf(SocketClosedError)
    await tap.serverEnded
    expect(decoder.decode(await peerReads)).toBe('last words')
    const records = decryptTls13(tap.fromServer(), trafficSecret(keylog, 'SERVER_TRAFFIC_SECRET_0'))
    expect(records.filter((r) => r.type !== 22)).toEqual([
      { type: 23, content: Buffer.from('last words') },
      { type: 21, content: Buffer.from([1, 0]) },
    ])
    await conn.closed
  })

  it('over TLS: abort(): pending reads and writes reject with its error', async () => {
    const { conn } = await tlsPair()
    const reading = collectBytes(conn.source)
    // A write that cannot finish: the peer never reads 64 MiB.
    const writing = conn.sink(repeatChunk(new Uint8Array(64 * 1024), 64 * 1024 * 1024))
    const reason = new Error('shutting down')
    conn.abort(reason)
    await expect(reading).rejects.toBe(reason)
    await expect(writing).rejects.toBe(reason)
    await conn.closed
  })

  it('over TLS: abort() without an error rejects with AbortError', async () => {
    const { conn } = await tlsPair()
    const reading = collectBytes(conn.source)
    conn.abort()
    const err = await reading.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).code).toBe('ERR_ABORTED')
  })

  it('over TLS: idle timeout (listen): the connection is aborted with TimeoutError on its source', async () => {
    await using idleServer = await listen({ host: '127.0.0.1', port: 0, tls: { cert, key }, idleTimeout: 50 })
    const peer = await tlsPeer(portOf(idleServer))
    const peerReads = readAll(peer)
    for await (const conn of idleServer) {
      const err = await collectBytes(conn.source).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).code).toBe('ERR_TIMEOUT')
      expect((err as Error).message).toMatch(/idle for 50 ms/)
      break
    }
    expect((await peerReads).byteLength).toBe(0)
  })

  it('over TLS: idle timeout (connect): the connection is aborted with TimeoutError on both halves', async () => {
    const [client, conn] = await Promise.all([
      connect({ host: 'localhost', port: portOf(server), tls: { ca }, idleTimeout: 50 }),
      nextConnection(),
    ])
    const serverSide = collectBytes(conn.source)
    const err = await collectBytes(client.source).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as Error).message).toMatch(/idle for 50 ms/)
    await expect(client.sink([encoder.encode('too late')])).rejects.toBe(err)
    // The server's side sees an end with nothing in it (the client was destroyed, no close_notify).
    expect((await serverSide).byteLength).toBe(0)
  })

  it('over TLS: server close: open connections finish within the timeout, the rest are aborted', async () => {
    const finishing = await tlsPair()
    const stuck = await tlsPair()
    const echo = pipe(finishing.conn, finishing.conn)
    const stuckRead = collectBytes(stuck.conn.source).catch((e: unknown) => e)
    const finishingReply = readAll(finishing.peer)
    const closing = server.close({ timeout: 300 })
    finishing.peer.end('last words')
    expect(decoder.decode(await finishingReply)).toBe('last words')
    await echo
    await closing
    expect(await stuckRead).toBeInstanceOf(AbortError)
    expect(stuck.conn.isClosed).toBe(true)
  })
})

describe('over TLS: Connection', () => {
  it('over TLS: sink() called twice rejects with SinkInUseError', async () => {
    const { peer, conn } = await tlsPair()
    const peerReads = readAll(peer)
    const first = conn.sink([encoder.encode('a')])
    await expect(conn.sink([encoder.encode('b')])).rejects.toBeInstanceOf(SinkInUseError)
    await first
    expect(decoder.decode(await peerReads)).toBe('a')
  })

  it('over TLS: using a closed connection rejects with SocketClosedError', async () => {
    const { peer, conn } = await tlsPair()
    peer.on('end', () => peer.end())
    await conn.close()
    await expect(conn.sink([encoder.encode('too late')])).rejects.toBeInstanceOf(SocketClosedError)
    const err = await collectBytes(conn.source).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SocketClosedError)
    expect((err as SocketClosedError).code).toBe('ERR_SOCKET_CLOSED')
  })

  for (const [what, chunk, type] of [
    ['a string', 'hello', 'string'],
    ['a Uint16Array', new Uint16Array([0x6968]), 'Uint16Array'],
    ['a number', 42, '42'],
  ] as const) {
    it(`over TLS: sink() rejects ${what} with TypeError naming its type, sends nothing and aborts`, async () => {
      const { peer, conn } = await tlsPair()
      const peerReads = readAll(peer).catch(() => Buffer.alloc(0))
      const sink = conn.sink as (source: Source<unknown>) => Promise<void>
      const err = await sink([chunk]).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TypeError)
      expect((err as Error).message).toMatch(
        new RegExp(
          `^Cannot write to 127\\.0\\.0\\.1:\\d+: a connection's sink takes Uint8Array or Uint8ArrayList chunks, got ${type}`,
        ),
      )
      expect((await peerReads).byteLength).toBe(0)
      await conn.closed
      await expect(collectBytes(conn.source)).rejects.toBe(err)
    })
  }

  it('over TLS: await using closes the connection at the end of the block', async () => {
    const serving = nextConnection().then(async (conn) => {
      await pipe(conn, conn)
      await conn.close()
    })
    let leaked: Connection | undefined
    {
      await using conn = await connect({ host: 'localhost', port: portOf(server), tls: { ca } })
      leaked = conn
      const [, reply] = await Promise.all([conn.sink([encoder.encode('ping')]), collectBytes(conn.source)])
      expect(decoder.decode(reply)).toBe('ping')
    }
    await leaked.closed
    expect(leaked.isClosed).toBe(true)
    await serving
  })

  it('over TLS: await using returns at once when the peer never ends its side; the close finishes in the background', async () => {
    const peerSide = nextConnection()
    let leaked: Connection | undefined
    {
      await using conn = await connect({ host: 'localhost', port: portOf(server), tls: { ca } })
      leaked = conn
      await conn.sink([encoder.encode('bye')])
    }
    expect(leaked.isClosed).toBe(false)
    const peer = await peerSide
    expect(decoder.decode(await collectBytes(peer.source))).toBe('bye')
    await peer.sink([])
    await leaked.closed
    expect(leaked.isClosed).toBe(true)
  })

  it('over TLS: conn.closed resolves once both sides have ended, and the server counts the connection until then', async () => {
    const { peer, conn } = await tlsPair()
    let closed = false
    void conn.closed.then(() => {
      closed = true
    })
    const peerReads = readAll(peer)
    await conn.sink([])
    await peerReads // our end arrived
    expect(closed).toBe(false)
    expect(server.connections).toBe(1)
    peer.end()
    await conn.closed
    expect(closed).toBe(true)
    expect(server.connections).toBe(0)
  })

  it('over TLS: serve(): a connection whose peer never ends is closed in the background and tracked until it has', async () => {
    await using tlsServer = await listen({ host: '127.0.0.1', port: 0, tls: { cert, key } })
    void tlsServer.serve(async (conn) => {
      await conn.sink([encoder.encode('hello')])
    })
    const peer = await tlsPeer(portOf(tlsServer))
    // The peer never ends its side; it still sees all of the reply and our end.
    expect(decoder.decode(await readAll(peer))).toBe('hello')
    expect(tlsServer.connections).toBe(1)
    peer.end()
    await until(() => tlsServer.connections === 0, 5_000, 'the connection to close')
  })

  it('over TLS: serve(): a handler that starts pipe(conn, conn) without returning it still echoes everything', async () => {
    await using tlsServer = await listen({ host: '127.0.0.1', port: 0, tls: { cert, key } })
    const errors: Error[] = []
    const serving = tlsServer.serve(
      (conn) => {
        void pipe(conn, conn) // the mistake: the pipe is not returned
      },
      { onError: (err) => errors.push(err) },
    )
    const payload = 'x'.repeat(200_000)
    for (let i = 0; i < 3; i++) {
      await using conn = await connect({ host: 'localhost', port: portOf(tlsServer), tls: { ca } })
      const [, reply] = await Promise.all([
        conn.sink([encoder.encode(`${i}:${payload}`)]),
        collectBytes(conn.source),
      ])
      expect(decoder.decode(reply)).toBe(`${i}:${payload}`)
    }
    await tlsServer.close()
    await serving
    expect(errors).toEqual([])
  })

  it('over TLS: draining the source to its end does not end our side', async () => {
    const { peer, conn } = await tlsPair()
    let peerEnded = false
    peer.on('end', () => {
      peerEnded = true
    })
    const peerReads = readAll(peer)
    peer.end('question')
    expect(decoder.decode(await collectBytes(conn.source))).toBe('question')
    const writing = conn.sink(
      (async function* () {
        const seen = peerReceives(peer, 'one')
        yield encoder.encode('one')
        await seen
        // The peer has our first bytes and no close_notify yet: draining did not end our side.
        expect(peerEnded).toBe(false)
        yield encoder.encode(' two')
      })(),
    )
    await writing
    expect(decoder.decode(await peerReads)).toBe('one two')
    expect(peerEnded).toBe(true)
  })

  it('over TLS: bytes written are flushed before the end: 8 MiB, then the sink ends', async () => {
    const { peer, conn } = await tlsPair()
    const chunks: Buffer[] = []
    peer.on('data', (chunk: Buffer) => chunks.push(chunk))
    const ended = once(peer, 'end')
    const block = pseudoRandomBytes(256 * 1024, 9)
    await conn.sink(repeatChunk(block, 8 * 1024 * 1024))
    await ended
    // Everything arrived before the peer saw our end.
    expect(sha256(chunks)).toBe(sha256(Array.from({ length: 32 }, () => block)))
    peer.end()
    await conn.closed
  })
})

describe('over TLS 1.2: half-close', () => {
  it("over TLS 1.2: sink's source ends: a close_notify alert then FIN, and a Node.js peer can still write to us", async () => {
    const tap = await recordingProxy(portOf(server))
    const peer = await tlsPeer(tap.port, { maxVersion: 'TLSv1.2' })
    const conn = await nextConnection()
    expect(conn.tls?.protocol).toBe('TLSv1.2')
    const peerReads = readAll(peer)
    await conn.sink([encoder.encode('reply')])
    await tap.serverEnded
    expect(decoder.decode(await peerReads)).toBe('reply')
    // TLS 1.2 shows each record's type (not its content): the last before our FIN is an alert (21),
    // after our bytes (23); the connection goes on below, so it was no fatal alert but close_notify.
    const types = recordTypes(tap.fromServer())
    expect(types.at(-1)).toBe(21)
    expect(types.at(-2)).toBe(23)
    // Node.js does not answer a close_notify by closing: its writes after ours still arrive.
    peer.end('late data')
    expect(decoder.decode(await collectBytes(conn.source))).toBe('late data')
    await conn.closed
  })

  it("over TLS 1.2: peer FIN (the peer's close_notify): our source ends and our side stays writable", async () => {
    const { peer, conn } = await tlsPair({ maxVersion: 'TLSv1.2' })
    expect(conn.tls?.protocol).toBe('TLSv1.2')
    peer.end('question')
    expect(decoder.decode(await collectBytes(conn.source))).toBe('question')
    const peerReads = readAll(peer)
    await conn.sink([encoder.encode('answer after your close_notify')])
    expect(decoder.decode(await peerReads)).toBe('answer after your close_notify')
    await conn.closed
  })
})

/**
 * A TCP proxy to 127.0.0.1:`port` for one connection that records what each side sends;
 * `serverEnded` and `clientEnded` resolve at each one's FIN, which is passed on.
 */
async function recordingProxy(port: number): Promise<{
  port: number
  fromServer: () => Buffer
  fromClient: () => Buffer
  serverEnded: Promise<void>
  clientEnded: Promise<void>
  /** Stops passing the client's bytes on and sends the server a FIN in its name. */
  cutClientSide: () => void
}> {
  const fromServer: Buffer[] = []
  const fromClient: Buffer[] = []
  const sockets: Socket[] = []
  let cut = (): void => {
    throw new Error('no connection to cut')
  }
  let onServerEnd = (): void => {}
  let onClientEnd = (): void => {}
  const serverEnded = new Promise<void>((resolve) => {
    onServerEnd = resolve
  })
  const clientEnded = new Promise<void>((resolve) => {
    onClientEnd = resolve
  })
  /** Passes `from`'s bytes and FIN on to `to`, recording the bytes. */
  const forward = (from: Socket, to: Socket, record: Buffer[], onEnd: () => void): void => {
    from.on('data', (chunk: Buffer) => {
      record.push(chunk)
      to.write(chunk)
    })
    from.on('end', () => {
      onEnd()
      to.end()
    })
    from.on('error', () => to.destroy())
  }
  const proxy: NetServer = createNetServer({ allowHalfOpen: true }, (client) => {
    const upstream = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true })
    sockets.push(client, upstream)
    cut = () => {
      client.removeAllListeners('data')
      upstream.end()
    }
    forward(client, upstream, fromClient, onClientEnd)
    forward(upstream, client, fromServer, onServerEnd)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy()
    proxy.close()
  })
  return {
    port: (proxy.address() as AddressInfo).port,
    fromServer: () => Buffer.concat(fromServer),
    fromClient: () => Buffer.concat(fromClient),
    serverEnded,
    clientEnded,
    cutClientSide: () => cut(),
  }
}

/**
 * A `node:tls` client of `port` that keeps the session's secrets (its `'keylog'` lines), with one
 * suite so the test knows the record protection: AES-128-GCM, SHA-256 key schedule.
 */
async function keyloggingPeer(port: number): Promise<{ peer: TLSSocket; keylog: string[] }> {
  const keylog: string[] = []
  const peer = halfOpenTlsConnect({ host: '127.0.0.1', port, ca, ciphers: 'TLS_AES_128_GCM_SHA256' })
  peer.on('keylog', (line: Buffer) => keylog.push(line.toString()))
  await once(peer, 'secureConnect')
  expect(peer.getProtocol()).toBe('TLSv1.3')
  return { peer, keylog }
}

/** The content types of the TLS records in `bytes` (the 5-byte record headers, RFC 8446 §5.1). */
function recordTypes(bytes: Buffer): number[] {
  const types: number[] = []
  for (let at = 0; at + 5 <= bytes.length; at += 5 + bytes.readUInt16BE(at + 3))
    types.push(bytes[at] as number)
  return types
}

/** The secret of a `'keylog'` line with this label (NSS key log format). */
function trafficSecret(keylog: string[], label: string): Buffer {
  const line = keylog.find((l) => l.startsWith(`${label} `))
  if (line === undefined) throw new Error(`no ${label} in the key log`)
  return Buffer.from(line.trim().split(' ')[2] as string, 'hex')
}

/** HKDF-Expand-Label (RFC 8446 §7.1) with SHA-256, for outputs of one hash block at most. */
function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`)
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])])
  return createHmac('sha256', secret)
    .update(Buffer.concat([info, Buffer.from([1])]))
    .digest()
    .subarray(0, length)
}

/**
 * The records in one direction of a TLS 1.3 connection protected with TLS_AES_128_GCM_SHA256 under
 * its first application traffic secret (RFC 8446 §5.2–5.3): each one's inner content type and
 * content. Records before the first that this key opens (the handshake's) are skipped.
 */
function decryptTls13(bytes: Buffer, secret: Buffer): Array<{ type: number; content: Buffer }> {
  const key = expandLabel(secret, 'key', 16)
  const iv = expandLabel(secret, 'iv', 12)
  const records: Array<{ type: number; content: Buffer }> = []
  let seq = 0n
  for (let at = 0; at + 5 <= bytes.length; ) {
    const length = bytes.readUInt16BE(at + 3)
    const header = bytes.subarray(at, at + 5)
    const body = bytes.subarray(at + 5, at + 5 + length)
    at += 5 + length
    if (header[0] !== 23) continue // ServerHello, ChangeCipherSpec: in the clear
    const nonce = Buffer.from(iv)
    const seqBytes = Buffer.alloc(8)
    seqBytes.writeBigUInt64BE(seq)
    for (let i = 0; i < 8; i++) nonce[4 + i] = (nonce[4 + i] as number) ^ (seqBytes[i] as number)
    const decipher = createDecipheriv('aes-128-gcm', key, nonce)
    decipher.setAAD(header)
    decipher.setAuthTag(body.subarray(-16))
    let plain: Buffer
    try {
      plain = Buffer.concat([decipher.update(body.subarray(0, -16)), decipher.final()])
    } catch (err) {
      if (records.length === 0) continue // a handshake record, under the handshake key
      throw err
    }
    seq++
    let end = plain.length
    while (end > 0 && plain[end - 1] === 0) end-- // padding
    records.push({ type: plain[end - 1] as number, content: plain.subarray(0, end - 1) })
  }
  return records
}
