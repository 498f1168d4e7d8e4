import { type TLSSocket, connect as tlsConnect } from 'node:tls'
import { type Connection, connect, listen, ServerBusyError, TimeoutError, TlsError } from 'it-socket'
import { describe, expect, it } from 'vitest'
import { collectBytes, decoder, encoder } from '../helpers/bytes.js'
import { portOf, rawConnect, readAll, until } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'
import {
  certs,
  countResources,
  nodeTlsServer,
  reports,
  roundTrip,
  tlsEchoServer,
  tlsFailure,
  trustServer,
} from './helpers.js'

/** The port our end of `conn` uses: how the server's messages name this client. */
function localPort(conn: Connection): number {
  const address = conn.localAddress
  if (!('port' in address)) throw new Error('not a TCP connection')
  return address.port
}

describe('connect({ tls }) verifies the server', () => {
  it('connect({ tls: {} }) refuses a self-signed server with TlsError DEPTH_ZERO_SELF_SIGNED_CERT naming host:port', async () => {
    await using peer = await tlsEchoServer(certs.selfSigned)
    const err = await tlsFailure(connect({ host: '127.0.0.1', port: peer.port, tls: {} }))
    expect(err.reason).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(err.message).toMatch(
      new RegExp(
        `^TLS handshake with 127\\.0\\.0\\.1:${peer.port} failed \\(DEPTH_ZERO_SELF_SIGNED_CERT\\): `,
      ),
    )
    expect(err.cause).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
  })

  it('connect({ tls: { ca } }) accepts a self-signed server whose own certificate is the ca', async () => {
    await using peer = await tlsEchoServer(certs.selfSigned)
    await using conn = await connect({
      host: '127.0.0.1',
      port: peer.port,
      tls: { ca: certs.selfSigned.cert },
    })
    expect(conn.tls?.authorized).toBe(true)
    expect(await roundTrip(conn, 'trusted')).toBe('trusted')
  })

  it('connect({ tls: { ca } }) accepts a server signed by the ca, checking the name it was given', async () => {
    await using peer = await tlsEchoServer(certs.server)
    await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    expect(conn.tls).toMatchObject({
      authorized: true,
      authorizationError: undefined,
      servername: 'localhost',
    })
    expect(conn.tls?.peerCertificate?.subject.CN).toBe('localhost')
    expect(conn.tls?.peerCertificate?.issuer.CN).toBe('it-socket test CA')
    expect(await roundTrip(conn, 'signed')).toBe('signed')
  })

  it('connect({ tls: true }) refuses a server signed by a CA outside Node.js roots: UNABLE_TO_VERIFY_LEAF_SIGNATURE', async () => {
    // server.pem comes without its CA (not a root anyway): the chain stops at the leaf.
    await using peer = await tlsEchoServer(certs.server)
    const err = await tlsFailure(connect({ host: '127.0.0.1', port: peer.port, tls: true }))
    expect(err.reason).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    expect(err.message).toContain(`127.0.0.1:${peer.port} failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`)
  })

  it('connect({ tls: { servername } }) refuses a certificate without that name: ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    await using peer = await tlsEchoServer(certs.server)
    const err = await tlsFailure(
      connect({ host: '127.0.0.1', port: peer.port, tls: { ca: certs.ca, servername: 'other.test' } }),
    )
    expect(err.reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    expect(err.message).toContain(`127.0.0.1:${peer.port} failed (ERR_TLS_CERT_ALTNAME_INVALID)`)
    expect(err.message).toContain('other.test')
  })

  it('connect({ host: IP, tls }) refuses a certificate that does not name that address: ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    // other.pem names other.test and *.example.test, not 127.0.0.1.
    await using peer = await tlsEchoServer(certs.other)
    const err = await tlsFailure(connect({ host: '127.0.0.1', port: peer.port, tls: { ca: certs.ca } }))
    expect(err.reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    expect(err.message).toContain('127.0.0.1')
  })

  it('connect({ tls }) refuses an expired certificate with CERT_HAS_EXPIRED', async () => {
    await using peer = await tlsEchoServer(certs.expired)
    const err = await tlsFailure(connect({ host: '127.0.0.1', port: peer.port, tls: trustServer }))
    expect(err.reason).toBe('CERT_HAS_EXPIRED')
    expect(err.message).toContain(`127.0.0.1:${peer.port} failed (CERT_HAS_EXPIRED)`)
  })

  it('connect({ tls: { rejectUnauthorized: false } }) connects anyway and says why the server is not authorized', async () => {
    await using peer = await tlsEchoServer(certs.selfSigned)
    await using conn = await connect({
      host: '127.0.0.1',
      port: peer.port,
      tls: { rejectUnauthorized: false },
    })
    expect(conn.tls?.authorized).toBe(false)
    expect(conn.tls?.authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(conn.tls?.peerCertificate?.issuer.CN).toBe('localhost')
    expect(await roundTrip(conn, 'unverified')).toBe('unverified')
  })

  it('connect({ host: name, tls }) sends the host as servername and checks the certificate against it', async () => {
    // listen() binds what 'localhost' resolves to first; connect() finds it the same way.
    await using server = await listen({ host: 'localhost', tls: certs.server, onError: () => {} })
    const servernames: Array<string | undefined> = []
    void server.serve(async (conn) => {
      servernames.push(conn.tls?.servername)
      await conn.sink([encoder.encode('hello localhost')])
    })
    await using conn = await connect({ host: 'localhost', port: portOf(server), tls: { ca: certs.ca } })
    expect(conn.tls?.servername).toBe('localhost')
    expect(conn.tls?.authorized).toBe(true)
    expect(decoder.decode(await collectBytes(conn.source))).toBe('hello localhost')
    expect(servernames).toEqual(['localhost'])
  })
})

describe('listen({ tls: { requestCert } }): client certificates', () => {
  const mutual = { ...certs.server, ca: certs.ca, requestCert: true }

  it('accepts a client whose certificate chains to ca, and shows it to the handler', async () => {
    await using peer = await tlsEchoServer(mutual)
    await using conn = await connect({
      host: '127.0.0.1',
      port: peer.port,
      tls: { ...trustServer, ...certs.client },
    })
    expect(await roundTrip(conn, 'mutual')).toBe('mutual')
    expect(peer.served).toHaveLength(1)
    expect(peer.served[0]?.authorized).toBe(true)
    expect(peer.served[0]?.authorizationError).toBeUndefined()
    expect(peer.served[0]?.peerCertificate?.subject.CN).toBe('it-socket test client')
    expect(peer.reports.errors).toEqual([])
  })

  it('refuses a client without a certificate: onError gets TlsError, the client a certificate-required alert', async () => {
    await using peer = await tlsEchoServer(mutual)
    // With TLS 1.3 the client's handshake is done before the server has seen its (empty) certificate:
    // connect() may resolve, and the alert then fails the first read.
    const err = await tlsFailure(
      (async () => {
        await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
        await collectBytes(conn.source)
      })(),
    )
    // BoringSSL (Bun) names the alert without the protocol version (bun-tls-alert-codes).
    const alert = deviates('bun-tls-alert-codes')
      ? 'ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED'
      : 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'
    expect(err.reason).toBe(alert)
    expect(err.message).toContain(`127.0.0.1:${peer.port} failed (${alert})`)
    await peer.reports.count(1)
    expect(peer.reports.errors[0]).toBeInstanceOf(TlsError)
    expect((peer.reports.errors[0] as TlsError).reason).toBe('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE')
    expect(peer.served).toEqual([])
  })

  it('refuses a client whose certificate chains to another CA: onError gets UNABLE_TO_VERIFY_LEAF_SIGNATURE', async () => {
    await using peer = await tlsEchoServer(mutual)
    await using conn = await connect({
      host: '127.0.0.1',
      port: peer.port,
      tls: { ...trustServer, ...certs.rogueClient },
    })
    // The server closes without an alert (Node.js checks the certificate after the handshake): the
    // client reads nothing, whether as an end or as a reset.
    const reply = await collectBytes(conn.source).catch(() => new Uint8Array(0))
    expect(reply).toHaveLength(0)
    await peer.reports.count(1)
    const err = peer.reports.errors[0] as TlsError
    expect(err).toBeInstanceOf(TlsError)
    expect(err.reason).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    expect(err.message).toContain(
      `TLS handshake with 127.0.0.1:${localPort(conn)} failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
    )
    expect(peer.served).toEqual([])
  })

  it('with rejectUnauthorized: false hands out clients that did not verify, with authorized false and why', async () => {
    await using peer = await tlsEchoServer({ ...mutual, rejectUnauthorized: false })
    {
      await using anonymous = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
      expect(await roundTrip(anonymous, 'no certificate')).toBe('no certificate')
    }
    {
      await using rogue = await connect({
        host: '127.0.0.1',
        port: peer.port,
        tls: { ...trustServer, ...certs.rogueClient },
      })
      expect(await roundTrip(rogue, 'rogue certificate')).toBe('rogue certificate')
    }
    expect(peer.served).toHaveLength(2)
    // Node.js names a missing client certificate UNABLE_TO_GET_ISSUER_CERT.
    expect(peer.served[0]).toMatchObject({
      authorized: false,
      authorizationError: 'UNABLE_TO_GET_ISSUER_CERT',
      peerCertificate: undefined,
    })
    expect(peer.served[1]).toMatchObject({
      authorized: false,
      authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    })
    expect(peer.served[1]?.peerCertificate?.subject.CN).toBe('it-socket rogue client')
    expect(peer.reports.errors).toEqual([])
  })
})

describe('listen({ tls: { alpnProtocols } })', () => {
  it('negotiates the protocol both sides speak and reports it on both ends', async () => {
    await using peer = await tlsEchoServer({ ...certs.server, alpnProtocols: ['h2', 'it-socket/1'] })
    await using conn = await connect({
      host: '127.0.0.1',
      port: peer.port,
      tls: { ...trustServer, alpnProtocols: ['it-socket/1', 'http/1.1'] },
    })
    expect(conn.tls?.alpnProtocol).toBe('it-socket/1')
    expect(await roundTrip(conn, 'alpn')).toBe('alpn')
    expect(peer.served.map((tls) => tls.alpnProtocol)).toEqual(['it-socket/1'])
  })

  it('refuses a client offering none of its protocols: onError gets TlsError, connect() rejects', async () => {
    await using peer = await tlsEchoServer({ ...certs.server, alpnProtocols: ['h2'] })
    const err = await tlsFailure(
      connect({ host: '127.0.0.1', port: peer.port, tls: { ...trustServer, alpnProtocols: ['spdy/3'] } }),
    )
    expect(err.reason).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL')
    await peer.reports.count(1)
    expect(peer.reports.errors[0]).toBeInstanceOf(TlsError)
    expect((peer.reports.errors[0] as TlsError).reason).toBe('ERR_SSL_NO_APPLICATION_PROTOCOL')
    expect(peer.served).toEqual([])
  })

  it('serves a client that sends no ALPN at all, with alpnProtocol false on both ends', async () => {
    // RFC 7301 §3.2: ALPN is only negotiated when the client offers it.
    await using peer = await tlsEchoServer({ ...certs.server, alpnProtocols: ['h2'] })
    await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    expect(conn.tls?.alpnProtocol).toBe(false)
    expect(await roundTrip(conn, 'no alpn')).toBe('no alpn')
    expect(peer.served.map((tls) => tls.alpnProtocol)).toEqual([false])
  })
})

describe('listen({ tls: { sni } })', () => {
  it.each([
    { servername: 'other.test', cn: 'other.test' },
    { servername: 'a.example.test', cn: 'other.test' },
    { servername: 'OTHER.TEST', cn: 'other.test' },
    { servername: 'localhost', cn: 'localhost' },
  ])('serves the certificate of CN $cn to a client asking for $servername', async ({ servername, cn }) => {
    await using peer = await tlsEchoServer({
      ...certs.server,
      sni: { 'other.test': certs.other, '*.example.test': certs.other },
    })
    // Verified, name included: the certificate served names what the client asked for.
    await using conn = await connect({
      host: '127.0.0.1',
      port: peer.port,
      tls: { ca: certs.ca, servername },
    })
    expect(conn.tls?.authorized).toBe(true)
    expect(conn.tls?.peerCertificate?.subject.CN).toBe(cn)
    expect(await roundTrip(conn, servername)).toBe(servername)
    expect(peer.served.map((tls) => tls.servername)).toEqual([servername])
  })

  it('serves the default certificate to a name the wildcard does not cover, and to a client sending no name', async () => {
    await using peer = await tlsEchoServer({
      ...certs.server,
      sni: { 'other.test': certs.other, '*.example.test': certs.other },
    })
    const served: string[] = []
    // *.example.test covers one label only: b.a.example.test gets server.pem (which then fails the name check).
    for (const tls of [
      { ca: certs.ca, servername: 'b.a.example.test', rejectUnauthorized: false },
      { ca: certs.ca }, // to 127.0.0.1: no SNI
    ]) {
      await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls })
      served.push(conn.tls?.peerCertificate?.subjectaltname ?? '')
    }
    expect(served).toEqual([
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    ])
  })
})

describe('listen({ tls }): failed handshakes go to onError, never to the handler', () => {
  it('a client that never sends a ClientHello is closed with TimeoutError after handshakeTimeout; others are served meanwhile', async () => {
    await using peer = await tlsEchoServer({ ...certs.server, handshakeTimeout: 2_000 })
    const silent = await rawConnect(peer.port)
    const silentEnd = readAll(silent)
    await until(() => peer.server.pending === 1, 5_000, 'the silent handshake to start')
    {
      await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
      expect(await roundTrip(conn, 'not blocked')).toBe('not blocked')
    }
    // The silent client was still in its handshake while the other was served.
    expect(peer.reports.errors).toEqual([])
    await peer.reports.count(1)
    const err = peer.reports.errors[0]
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as TimeoutError).code).toBe('ERR_TIMEOUT')
    expect(err?.message).toBe(
      `TLS handshake with 127.0.0.1:${silent.localPort} timed out after 2000 ms (handshakeTimeout)`,
    )
    expect((await silentEnd).byteLength).toBe(0)
    silent.destroy()
    expect(peer.server.pending).toBe(0)
    expect(peer.served).toHaveLength(1)
  })

  it('a client sending plain text is reported as TlsError and closed, and the server goes on serving', async () => {
    await using peer = await tlsEchoServer(certs.server)
    const http = await rawConnect(peer.port)
    const clientPort = http.localPort
    http.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
    await readAll(http).catch(() => Buffer.alloc(0))
    http.destroy()
    await peer.reports.count(1)
    const err = peer.reports.errors[0] as TlsError
    expect(err).toBeInstanceOf(TlsError)
    expect(err.reason).toBe('ERR_SSL_HTTP_REQUEST')
    expect(err.message).toContain(`TLS handshake with 127.0.0.1:${clientPort} failed (ERR_SSL_HTTP_REQUEST)`)
    await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    expect(await roundTrip(conn, 'still serving')).toBe('still serving')
    expect(peer.served).toHaveLength(1)
  })

  it('a handshake in progress counts in pending, not connections, and one past maxPending is refused with ServerBusyError', async () => {
    await using peer = await tlsEchoServer(certs.server, { maxPending: 1 })
    const silent = await rawConnect(peer.port)
    await until(() => peer.server.pending === 1, 5_000, 'the silent handshake to start')
    expect(peer.server.connections).toBe(0)
    const turnedAway = await rawConnect(peer.port)
    const turnedAwayEnd = readAll(turnedAway).catch(() => Buffer.alloc(0))
    await peer.reports.count(1)
    expect(peer.reports.errors[0]).toBeInstanceOf(ServerBusyError)
    expect(peer.reports.errors[0]?.message).toContain('maxPending 1')
    expect(peer.reports.errors[0]?.message).toContain(
      `closed connection from 127.0.0.1:${turnedAway.localPort}`,
    )
    expect((await turnedAwayEnd).byteLength).toBe(0)
    turnedAway.destroy()
    // The silent client giving up frees its slot (unreported: it never sent a byte), and the next
    // client is served.
    silent.destroy()
    await until(() => peer.server.pending === 0, 5_000, 'the slot to free')
    await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    expect(await roundTrip(conn, 'next')).toBe('next')
    expect(peer.reports.errors).toHaveLength(1)
  })

  it('a client that leaves without a byte (a TCP health check) is not reported; one that leaves mid-hello is', async () => {
    await using peer = await tlsEchoServer(certs.server)
    const healthCheck = await rawConnect(peer.port)
    healthCheck.end()
    const resetCheck = await rawConnect(peer.port)
    resetCheck.resetAndDestroy()
    // The start of a ClientHello record, then gone.
    const partial = await rawConnect(peer.port)
    partial.on('error', () => {}) // the server's reset: expected
    const partialPort = partial.localPort
    partial.end(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x50, 0x01]))
    await peer.reports.count(1)
    expect(peer.reports.errors[0]).toBeInstanceOf(TlsError)
    expect((peer.reports.errors[0] as TlsError).reason).toBe('ECONNRESET')
    expect(peer.reports.errors[0]?.message).toContain(`127.0.0.1:${partialPort}`)
    await until(() => peer.server.pending === 0, 5_000, 'every slot to free')
    // A client served after them proves the quiet ones were dealt with, not reported late.
    await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    expect(await roundTrip(conn, 'after')).toBe('after')
    expect(peer.reports.errors).toHaveLength(1)
    for (const socket of [healthCheck, partial]) socket.destroy()
  })

  it('handshakes go on while maxConnections is reached: the client waits handshaken for a slot', async () => {
    await using peer = await tlsEchoServer(certs.server, { maxConnections: 1 })
    const first = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    const firstReply = collectBytes(first.source)
    await until(() => peer.server.connections === 1, 5_000, 'the first connection to be served')
    // connect() resolves once the handshake is done: the full server did not hold it back.
    await using second = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    expect(second.tls?.authorized).toBe(true)
    await until(() => peer.server.pending === 1, 5_000, 'the second connection to wait for a slot')
    expect(peer.server.connections).toBe(1)
    const secondReply = roundTrip(second, 'second')
    await first.sink([encoder.encode('first')])
    expect(decoder.decode(await firstReply)).toBe('first')
    await first.close()
    expect(await secondReply).toBe('second')
    expect(peer.served).toHaveLength(2)
  })

  it('server.close() while a client is in its handshake closes it at once and leaves no handle behind', async () => {
    const before = countResources()
    const r = reports()
    const server = await listen({ host: '127.0.0.1', tls: certs.server, onError: r.onError })
    let handled = 0
    const serving = server.serve(() => {
      handled++
    })
    const silent = await rawConnect(portOf(server))
    await until(() => server.pending === 1, 5_000, 'the silent handshake to start')
    // This test's timeout (5 s) is shorter than the default handshakeTimeout (10 s): close() must
    // not wait for the handshake.
    await server.close()
    await serving
    expect((await readAll(silent)).byteLength).toBe(0)
    silent.destroy()
    expect(server.pending).toBe(0)
    expect(handled).toBe(0)
    expect(r.errors).toEqual([])
    await until(() => JSON.stringify(countResources()) === JSON.stringify(before), 5_000, 'handles to close')
    expect(countResources()).toEqual(before)
  }, 5_000)
})

/**
 * Connects to `port`, sends `first` and reads it back, then returns `conn.tls.session`. With TLS 1.3
 * the ticket comes after the handshake, ahead of the reply: read, then ask. `endFirst` ends our side
 * before the reply (and the ticket) arrive, as `sink()` does when its source is done.
 */
async function firstSession(port: number, endFirst: boolean): Promise<Buffer | undefined> {
  await using first = await connect({ host: '127.0.0.1', port, tls: trustServer })
  let replied = (): void => {}
  const reply = new Promise<void>((resolve) => {
    replied = resolve
  })
  const writing = first.sink(
    (async function* () {
      yield encoder.encode('first')
      if (!endFirst) await reply
    })(),
  )
  expect(decoder.decode((await first.source.next()).value as Uint8Array)).toBe('first')
  replied()
  await writing
  return first.tls?.session
}

describe('TLS sessions', () => {
  it.each([
    [
      'connect({ tls: { session } }) resumes the session of an earlier connection (seen by a node:tls server)',
      false,
    ],
    ['a session ticket that arrives after our side ended still makes conn.tls.session resumable', true],
  ])('%s', async (_name, endedFirst) => {
    const reused: boolean[] = []
    const peer = await nodeTlsServer(certs.server, (socket) => {
      reused.push(socket.isSessionReused())
      socket.pipe(socket)
    })
    try {
      const session = await firstSession(peer.port, endedFirst)
      expect(Buffer.isBuffer(session)).toBe(true)
      await using second = await connect({
        host: '127.0.0.1',
        port: peer.port,
        tls: { ...trustServer, session },
      })
      expect(await roundTrip(second, 'second')).toBe('second')
      // Bun processes no ticket once the client has ended its side: the session it keeps is the
      // handshake's, which the server cannot resume (bun-tls-ticket-after-end).
      expect(reused).toEqual([false, !(endedFirst && deviates('bun-tls-ticket-after-end'))])
    } finally {
      await peer.close()
    }
  })

  it('listen({ tls }) resumes a session from conn.tls.session for a node:tls client', async () => {
    await using peer = await tlsEchoServer(certs.server)
    const session = await firstSession(peer.port, false)
    expect(Buffer.isBuffer(session)).toBe(true)
    const client: TLSSocket = tlsConnect({
      host: '127.0.0.1',
      port: peer.port,
      ca: certs.ca,
      servername: 'localhost',
      session: session as Buffer,
    })
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('secureConnect', resolve)
        client.once('error', reject)
      })
      expect(client.isSessionReused()).toBe(true)
    } finally {
      client.destroy()
    }
  })
})

describe('tls.minVersion', () => {
  it("connect({ tls: { minVersion: 'TLSv1.3' } }) refuses a server capped at TLS 1.2 with TlsError", async () => {
    const peer = await nodeTlsServer({ ...certs.server, maxVersion: 'TLSv1.2' })
    try {
      {
        // The same server without the floor: TLS 1.2 it is.
        await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
        expect(conn.tls?.protocol).toBe('TLSv1.2')
      }
      const err = await tlsFailure(
        connect({ host: '127.0.0.1', port: peer.port, tls: { ...trustServer, minVersion: 'TLSv1.3' } }),
      )
      expect(err.reason).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION')
      expect(err.message).toContain(`127.0.0.1:${peer.port} failed (ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION)`)
    } finally {
      await peer.close()
    }
  })

  it("listen({ tls: { minVersion: 'TLSv1.3' } }) refuses a TLS 1.2 client: onError gets TlsError", async () => {
    await using peer = await tlsEchoServer({ ...certs.server, minVersion: 'TLSv1.3' })
    const client = tlsConnect({
      host: '127.0.0.1',
      port: peer.port,
      ca: certs.ca,
      servername: 'localhost',
      maxVersion: 'TLSv1.2',
    })
    const clientErr = await new Promise<unknown>((resolve) => {
      client.once('secureConnect', () => resolve(undefined))
      client.once('error', resolve)
    })
    client.destroy()
    expect(clientErr).toMatchObject({ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' })
    await peer.reports.count(1)
    expect(peer.reports.errors[0]).toBeInstanceOf(TlsError)
    expect((peer.reports.errors[0] as TlsError).reason).toBe('ERR_SSL_UNSUPPORTED_PROTOCOL')
    expect(peer.served).toEqual([])
  })
})
