import { createHash } from 'node:crypto'
import { type Codec, connect, framed, lengthPrefixed, lines, listen, pipe } from 'it-socket'
import { describe, expect, it } from 'vitest'
import { decoder, encoder, pseudoRandomBytes, sha256 } from '../helpers/bytes.js'
import { portOf } from '../helpers/net.js'
import { certs, nodeTlsServer, roundTrip, snapshot, tlsEchoServer, trustServer } from './helpers.js'

/** `bytes` in chunks of `size` (views, nothing copied). */
function* chunksOf(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size)
}

/** A message of its own for each index, from a few bytes to more than a TLS record (16 KiB). */
function message(i: number): string {
  return `message ${i}:${'é'.repeat((i * 7919) % 10_000)}`
}

describe('TLS echo', () => {
  it('32 MiB through listen({ tls }) and serve(pipe(conn, conn)) come back intact (SHA-256)', async () => {
    await using peer = await tlsEchoServer(certs.server)
    await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    const payload = pseudoRandomBytes(32 * 1024 * 1024, 13)
    const hash = createHash('sha256')
    let received = 0
    const reading = (async () => {
      for await (const chunk of conn.source) {
        hash.update(chunk)
        received += chunk.byteLength
      }
    })()
    await conn.sink(chunksOf(payload, 64 * 1024))
    await reading
    expect(received).toBe(payload.byteLength)
    expect(hash.digest('hex')).toBe(sha256([payload]))
    expect(peer.reports.errors).toEqual([])
  }, 60_000)

  it('lengthPrefixed() over TLS: 1,000 requests, then 1,000 writes, come back in order', async () => {
    await using peer = await listen({ host: '127.0.0.1', tls: certs.server })
    void peer.serve((conn) => {
      const lp = lengthPrefixed()
      return pipe(conn, lp.decode, lp.encode, conn)
    })
    await using conn = await connect({ host: '127.0.0.1', port: portOf(peer), tls: trustServer })
    const messages = framed(conn, lengthPrefixed())
    for (let i = 0; i < 1_000; i++) {
      expect(decoder.decode(await messages.request(encoder.encode(message(i))))).toBe(message(i))
    }
    const reading = (async () => {
      const got: string[] = []
      for await (const m of messages.source) got.push(decoder.decode(m))
      return got
    })()
    for (let i = 1_000; i < 2_000; i++) await messages.write(encoder.encode(message(i)))
    await messages.sink([])
    const got = await reading
    expect(got).toHaveLength(1_000)
    expect(got).toEqual(Array.from({ length: 1_000 }, (_, i) => message(1_000 + i)))
  })

  it('lines() over TLS: 1,000 requests, then 1,000 writes, come back in order', async () => {
    await using peer = await listen({ host: '127.0.0.1', tls: certs.server })
    void peer.serve((conn) => {
      const codec: Codec<string> = lines()
      return pipe(conn, codec.decode, codec.encode, conn)
    })
    await using conn = await connect({ host: '127.0.0.1', port: portOf(peer), tls: trustServer })
    const messages = framed(conn, lines())
    for (let i = 0; i < 1_000; i++) expect(await messages.request(message(i))).toBe(message(i))
    const reading = (async () => {
      const got: string[] = []
      for await (const line of messages.source) got.push(line)
      return got
    })()
    for (let i = 1_000; i < 2_000; i++) await messages.write(message(i))
    await messages.sink([])
    expect(await reading).toEqual(Array.from({ length: 1_000 }, (_, i) => message(1_000 + i)))
  })

  it('connect({ tls }) echoes through a node:tls server capped at TLS 1.2 too', async () => {
    const peer = await nodeTlsServer({ ...certs.server, maxVersion: 'TLSv1.2' })
    try {
      await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
      expect(conn.tls?.protocol).toBe('TLSv1.2')
      const payload = decoder.decode(pseudoRandomBytes(1024 * 1024, 7).map((b) => 0x20 + (b % 0x5f)))
      expect(await roundTrip(conn, payload)).toBe(payload)
    } finally {
      await peer.close()
    }
  })
})

describe('conn.tls', () => {
  it('says what was negotiated, on both ends', async () => {
    await using peer = await tlsEchoServer(certs.server)
    await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    await conn.sink([encoder.encode('ping')])
    expect(decoder.decode((await conn.source.next()).value as Uint8Array)).toBe('ping')
    const client = snapshot(conn.tls ?? expect.fail('no conn.tls on a TLS connection'))
    expect(client).toMatchObject({
      protocol: 'TLSv1.3',
      alpnProtocol: false,
      servername: 'localhost',
      authorized: true,
      authorizationError: undefined,
    })
    expect(client.cipher).toMatch(/^TLS_/)
    expect(client.peerCertificate?.subject.CN).toBe('localhost')
    expect(client.session).toBeInstanceOf(Buffer)
    expect(peer.served).toHaveLength(1)
    const server = peer.served[0]
    expect(server).toMatchObject({
      protocol: 'TLSv1.3',
      cipher: client.cipher,
      alpnProtocol: false,
      servername: 'localhost',
      // Without requestCert a server asks for no certificate: nothing to authorize.
      authorized: false,
      peerCertificate: undefined,
    })
    expect(JSON.parse(JSON.stringify(conn.tls))).toEqual({
      protocol: 'TLSv1.3',
      cipher: client.cipher,
      alpnProtocol: false,
      servername: 'localhost',
      authorized: true,
      peerCertificate: 'localhost',
    })
  })

  it('is undefined on a plain connection, on both ends', async () => {
    await using server = await listen({ host: '127.0.0.1' })
    const serverTls: unknown[] = []
    void server.serve(async (conn) => {
      serverTls.push(conn.tls)
      await conn.sink([encoder.encode('plain')])
    })
    await using conn = await connect({ host: '127.0.0.1', port: portOf(server) })
    expect(conn.tls).toBeUndefined()
    expect(decoder.decode((await conn.source.next()).value as Uint8Array)).toBe('plain')
    expect(serverTls).toEqual([undefined])
  })

  it('still answers once the connection has closed: what was negotiated does not go away', async () => {
    await using peer = await tlsEchoServer(certs.server)
    const conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    expect(await roundTrip(conn, 'bye')).toBe('bye')
    await conn.close()
    const tls = conn.tls ?? expect.fail('no conn.tls on a TLS connection')
    // A handler's `finally` logging conn.tls runs after the close.
    expect(() => JSON.stringify(tls)).not.toThrow()
    expect(tls.protocol).toBe('TLSv1.3')
    expect(tls.cipher).toMatch(/^TLS_/)
    expect(tls.peerCertificate?.subject.CN).toBe('localhost')
    // `Buffer | undefined`, as typed: a later connect({ tls: { session } }) refuses null.
    expect(tls.session === undefined || Buffer.isBuffer(tls.session)).toBe(true)
  })
})
