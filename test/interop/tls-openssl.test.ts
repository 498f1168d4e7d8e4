import {
  connect,
  listen,
  pipe,
  TimeoutError,
  type TlsConnectOptions,
  TlsError,
  type TlsListenOptions,
} from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, killAll } from '../cli/helpers.js'
import { encoder } from '../helpers/bytes.js'
import { portOf } from '../helpers/net.js'
import { peer } from './helpers.js'
import {
  certPath,
  endInput,
  exited,
  fingerprint,
  identity,
  opensslClient,
  opensslServer,
  pem,
  Reports,
  readToEnd,
  type TlsSeen,
  tlsSeen,
} from './tls-helpers.js'

// TLS between it-socket and OpenSSL's own test peers, `openssl s_server` and `openssl s_client`,
// on 127.0.0.1 with the certificates of test/fixtures/tls/. Every peer is killed after its test
// (killAll); every wait is bounded (Child.waitFor, Reports.nth: 10 s).
afterEach(killAll)

/** `openssl s_server` with a fixture's certificate (`self-signed` → self-signed.pem and its key). */
function serverCert(name: string): string[] {
  return ['-cert', certPath(`${name}.pem`), '-key', certPath(`${name}-key.pem`)]
}

/** Connects to `port` and expects the handshake to fail: returns the error, which must be a TlsError. */
async function refused(port: number, tls: TlsConnectOptions | true, host = '127.0.0.1'): Promise<TlsError> {
  const err = await connect({ host, port, tls }).then(
    (conn) => {
      conn.abort()
      return new Error(`connected to ${host}:${port}: the handshake was expected to fail`)
    },
    (err: unknown) => err,
  )
  expect(err).toBeInstanceOf(TlsError)
  expect(err).toMatchObject({ code: 'ERR_TLS' })
  return err as TlsError
}

describe('it-socket connect({ tls }) → openssl s_server', () => {
  it('connect() refuses a self-signed server by default: TlsError DEPTH_ZERO_SELF_SIGNED_CERT', async () => {
    const { port } = await opensslServer(serverCert('self-signed'))
    const err = await refused(port, true)
    expect(err.reason).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(err.message).toContain(`127.0.0.1:${port}`)
  })

  it('connect() accepts the self-signed server given it as ca; s_server -rev answers each line reversed', async () => {
    const { port } = await opensslServer([...serverCert('self-signed'), '-rev'])
    await using conn = await connect({ host: '127.0.0.1', port, tls: { ca: pem('self-signed.pem') } })
    expect(conn.tls?.authorized).toBe(true)
    expect(conn.tls?.peerCertificate?.fingerprint256).toBe(fingerprint('self-signed.pem'))
    // Sent, then half-closed (close_notify): s_server answers the line and ends its side too.
    const [reply] = await Promise.all([
      readToEnd(conn.source),
      pipe([encoder.encode('hello openssl\n')], conn),
    ])
    expect(reply.toString()).toBe('lssnepo olleh\n')
  })

  it('connect() to localhost with a certificate for other.test fails with ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    const { port } = await opensslServer(serverCert('other'))
    const err = await refused(port, { ca: pem('ca.pem') }, 'localhost')
    expect(err.reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
    // The same server, asked for by a name its certificate has (*.example.test), is accepted.
    await using conn = await connect({
      host: '127.0.0.1',
      port,
      tls: { ca: pem('ca.pem'), servername: 'x.example.test' },
    })
    expect(conn.tls?.authorized).toBe(true)
    expect(conn.tls?.servername).toBe('x.example.test')
  })

  it('connect() with servername naming another host fails with ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    const { port } = await opensslServer(serverCert('server'))
    const err = await refused(port, { ca: pem('ca.pem'), servername: 'other.test' })
    expect(err.reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  it("connect() over IPv6 to ::1 checks the address against the certificate's IP subjectAltName", async () => {
    // server.pem names IP ::1; self-signed.pem names localhost and 127.0.0.1 only.
    const good = await opensslServer([...serverCert('server'), '-rev'], '::1')
    await using conn = await connect({ host: '::1', port: good.port, tls: { ca: pem('ca.pem') } })
    expect(conn.tls?.authorized).toBe(true)
    expect(conn.remoteAddress).toMatchObject({ address: '::1', family: 'IPv6' })
    // No server name is sent to an address (RFC 6066 §3).
    expect(conn.tls?.servername).toBeUndefined()
    const [reply] = await Promise.all([readToEnd(conn.source), pipe([encoder.encode('v6\n')], conn)])
    expect(reply.toString()).toBe('6v\n')
    const wrong = await opensslServer(serverCert('self-signed'), '::1')
    const err = await refused(wrong.port, { ca: pem('self-signed.pem') }, '::1')
    expect(err.reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  it('connect() refuses an expired certificate signed by the trusted CA: CERT_HAS_EXPIRED', async () => {
    const { port } = await opensslServer(serverCert('expired'))
    const err = await refused(port, { ca: pem('ca.pem') })
    expect(err.reason).toBe('CERT_HAS_EXPIRED')
  })

  it("connect() without the test CA refuses the server's certificate: UNABLE_TO_VERIFY_LEAF_SIGNATURE", async () => {
    const { port } = await opensslServer(serverCert('server'))
    const err = await refused(port, true)
    expect(err.reason).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
  })

  it('connect() with minVersion TLSv1.3 refuses an s_server limited to TLS 1.2', async () => {
    const { port } = await opensslServer([...serverCert('server'), '-tls1_2'])
    const err = await refused(port, { ca: pem('ca.pem'), minVersion: 'TLSv1.3' })
    expect(err.reason).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/)
    // Without the floor, the same server is reached over TLS 1.2.
    await using conn = await connect({ host: '127.0.0.1', port, tls: { ca: pem('ca.pem') } })
    expect(conn.tls?.protocol).toBe('TLSv1.2')
  })

  it('connect() negotiates ALPN with s_server -alpn: both sides report http/1.1', async () => {
    const server = await opensslServer([...serverCert('server'), '-alpn', 'h2,http/1.1'])
    await using conn = await connect({
      host: '127.0.0.1',
      port: server.port,
      tls: { ca: pem('ca.pem'), alpnProtocols: ['spdy/1', 'http/1.1'] },
    })
    expect(conn.tls?.alpnProtocol).toBe('http/1.1')
    await server.child.waitFor('stdout', 'ALPN protocols advertised by the client: spdy/1, http/1.1')
    await server.child.waitFor('stdout', 'ALPN protocols selected: http/1.1')
  })

  it('connect() offering none of the protocols of s_server -alpn is refused: TlsError NO_APPLICATION_PROTOCOL', async () => {
    const server = await opensslServer([...serverCert('server'), '-alpn', 'h2'])
    const err = await refused(server.port, { ca: pem('ca.pem'), alpnProtocols: ['http/1.1'] })
    // OpenSSL's s_server answers with the alert of RFC 7301 §3.2.
    expect(err.reason).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL')
    await server.child.waitFor('stderr', 'tls_handle_alpn:no application protocol')
  })

  for (const version of ['-tls1_2', '-tls1_3']) {
    it(`connect({ tls: { session } }) resumes a ${version} session with s_server -www: New, then Reused`, async () => {
      const { port } = await opensslServer([...serverCert('server'), '-www', version])
      /** GETs s_server's status page, which says whether the session was new or reused. */
      async function get(session?: Buffer): Promise<{ page: string; session: Buffer | undefined }> {
        await using conn = await connect({
          host: '127.0.0.1',
          port,
          tls: { ca: pem('ca.pem'), ...(session === undefined ? {} : { session }) },
        })
        await conn.sink([encoder.encode('GET / HTTP/1.0\r\n\r\n')])
        let page = ''
        let ticket: Buffer | undefined
        for await (const chunk of conn.source) {
          page += Buffer.from(chunk).toString()
          // Read once data has arrived (TLS 1.3 sends the ticket after the handshake).
          ticket ??= conn.tls?.session
        }
        return { page, session: ticket }
      }
      const protocol = version === '-tls1_2' ? 'TLSv1\\.2' : 'TLSv1\\.3'
      const first = await get()
      expect(first.page).toMatch(new RegExp(`^New, ${protocol}, Cipher is `, 'm'))
      expect(first.session).toBeInstanceOf(Buffer)
      const second = await get(first.session)
      expect(second.page).toMatch(new RegExp(`^Reused, ${protocol}, Cipher is `, 'm'))
    })
  }

  it('connect() with a client certificate is accepted by s_server -Verify (mutual TLS) and sends data', async () => {
    const server = await opensslServer([
      ...serverCert('server'),
      '-Verify',
      '1',
      '-CAfile',
      certPath('ca.pem'),
    ])
    await using conn = await connect({
      host: '127.0.0.1',
      port: server.port,
      tls: { ca: pem('ca.pem'), ...identity('client') },
    })
    await conn.sink([encoder.encode('hello from it-socket\n')])
    await server.child.waitFor('stdout', 'hello from it-socket\n')
    // s_server prints the client's certificate, then its subject.
    expect(server.child.stdout()).toMatch(/^subject=CN = it-socket test client$/m)
  })

  it('connect() without a client certificate: s_server -Verify refuses with TlsError CERTIFICATE_REQUIRED', async () => {
    const server = await opensslServer([
      ...serverCert('server'),
      '-Verify',
      '1',
      '-CAfile',
      certPath('ca.pem'),
    ])
    // In TLS 1.3 the client's side of the handshake ends before the server has seen its
    // certificate: connect() resolves, and the server's alert fails the first read.
    await using conn = await connect({ host: '127.0.0.1', port: server.port, tls: { ca: pem('ca.pem') } })
    const err = await readToEnd(conn.source).then(
      () => new Error('read to the end: the server was expected to refuse us'),
      (err: unknown) => err,
    )
    expect(err).toBeInstanceOf(TlsError)
    expect((err as TlsError).reason).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')
  })
})

describe('openssl s_client → it-socket listen({ tls })', () => {
  /** A TLS echo server that records what each connection's `conn.tls` said. */
  async function echoServer(tls: TlsListenOptions) {
    const reports = new Reports()
    const seen: TlsSeen[] = []
    const server = await listen({ host: '127.0.0.1', port: 0, tls, onError: reports.onError })
    void server.serve((conn) => {
      seen.push(tlsSeen(conn))
      return pipe(conn, conn)
    })
    return {
      port: portOf(server),
      reports,
      seen,
      [Symbol.asyncDispose]: () => server.close(),
    }
  }

  /** Sends a line through s_client, waits for its echo, then ends s_client's input: it exits 0. */
  async function echoThrough(port: number, args: string[], line: string): Promise<void> {
    const client = opensslClient(port, ['-quiet', '-no_ign_eof', '-verify_return_error', ...args])
    client.write(`${line}\n`)
    await client.waitFor('stdout', `${line}\n`)
    endInput(client)
    expect(await exited(client)).toBe(0)
  }

  const mutual = {
    ...identity('server'),
    ca: pem('ca.pem'),
    requestCert: true,
  }
  const clientCert = [
    '-CAfile',
    certPath('ca.pem'),
    '-cert',
    certPath('client.pem'),
    '-key',
    certPath('client-key.pem'),
  ]

  for (const version of ['-tls1_2', '-tls1_3']) {
    it(`listen({ tls: { requestCert, ca } }) accepts s_client ${version} with a client certificate: authorized, CN seen`, async () => {
      await using s = await echoServer(mutual)
      const { port, reports, seen } = s
      await echoThrough(port, [...clientCert, version], 'hello mutual TLS')
      expect(seen).toEqual([
        expect.objectContaining({
          protocol: version === '-tls1_2' ? 'TLSv1.2' : 'TLSv1.3',
          authorized: true,
          authorizationError: undefined,
          peerSubject: 'it-socket test client',
        }),
      ])
      expect(reports.errors).toEqual([])
    })

    it(`listen({ tls: { requestCert } }) refuses s_client ${version} without a certificate (onError TlsError) and serves the next`, async () => {
      await using s = await echoServer(mutual)
      const { port, reports, seen } = s
      const refusedClient = opensslClient(port, ['-quiet', '-CAfile', certPath('ca.pem'), version])
      refusedClient.write('not to be echoed\n')
      const err = await reports.nth(0)
      expect(err).toBeInstanceOf(TlsError)
      expect((err as TlsError).reason).toBe('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE')
      expect(await exited(refusedClient)).not.toBe(0)
      expect(refusedClient.stdout()).toBe('')
      // OpenSSL's name for the alert the server sent: TLS 1.3 has one of its own.
      expect(refusedClient.stderr()).toMatch(
        version === '-tls1_3' ? /alert certificate required/ : /alert handshake failure/,
      )
      // The server goes on serving: a client with a certificate is echoed.
      await echoThrough(port, [...clientCert, version], 'after the refusal')
      expect(seen).toHaveLength(1)
      expect(reports.errors).toHaveLength(1)
    })

    it(`listen({ tls: { requestCert, ca } }) refuses s_client ${version} with a certificate of another CA (onError TlsError) and serves the next`, async () => {
      await using s = await echoServer(mutual)
      const { port, reports, seen } = s
      const rogue = opensslClient(port, [
        '-quiet',
        '-CAfile',
        certPath('ca.pem'),
        '-cert',
        certPath('rogue-client.pem'),
        '-key',
        certPath('rogue-client-key.pem'),
        version,
      ])
      rogue.write('not to be echoed\n')
      const err = await reports.nth(0)
      expect(err).toBeInstanceOf(TlsError)
      // rogue-client.pem comes alone, and its issuer (other-ca) is not in ca.
      expect((err as TlsError).reason).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
      expect(await exited(rogue)).not.toBe(0)
      expect(rogue.stdout()).toBe('')
      await echoThrough(port, [...clientCert, version], 'after the rogue')
      expect(seen).toHaveLength(1)
      expect(reports.errors).toHaveLength(1)
    })
  }

  it('listen({ tls: { requestCert, rejectUnauthorized: false } }) hands out clients whose certificate did not verify, saying why', async () => {
    await using s = await echoServer({ ...mutual, rejectUnauthorized: false })
    const { port, reports, seen } = s
    const rogueCert = ['-cert', certPath('rogue-client.pem'), '-key', certPath('rogue-client-key.pem')]
    await echoThrough(port, ['-CAfile', certPath('ca.pem'), ...rogueCert], 'rogue but let in')
    await echoThrough(port, ['-CAfile', certPath('ca.pem')], 'no certificate, let in')
    await echoThrough(port, clientCert, 'verified')
    expect(seen).toEqual([
      expect.objectContaining({
        authorized: false,
        authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        peerSubject: 'it-socket rogue client',
      }),
      // Node.js names no particular reason when no certificate came.
      expect.objectContaining({
        authorized: false,
        authorizationError: expect.any(String),
        peerSubject: undefined,
      }),
      expect.objectContaining({
        authorized: true,
        authorizationError: undefined,
        peerSubject: 'it-socket test client',
      }),
    ])
    expect(reports.errors).toEqual([])
  })

  it('a TLS 1.2 renegotiation by s_client (its R command) mid-stream: the echo goes on', async () => {
    await using s = await echoServer(identity('server'))
    const { port, reports, seen } = s
    // -quiet, then -no_ign_eof: quiet output, with s_client's one-letter commands on.
    const client = opensslClient(port, ['-quiet', '-no_ign_eof', '-tls1_2', '-CAfile', certPath('ca.pem')])
    client.write('before\n')
    await client.waitFor('stdout', 'before\n')
    client.write('R\n')
    await client.waitFor('stderr', 'RENEGOTIATING')
    client.write('after\n')
    await client.waitFor('stdout', 'before\nafter\n')
    endInput(client)
    expect(await exited(client)).toBe(0)
    expect(seen).toEqual([expect.objectContaining({ protocol: 'TLSv1.2' })])
    expect(reports.errors).toEqual([])
  })

  it('s_client renegotiating again and again is cut off: onError TlsError ERR_TLS_SESSION_ATTACK', async () => {
    await using s = await echoServer(identity('server'))
    const { port, reports } = s
    const client = opensslClient(port, ['-quiet', '-no_ign_eof', '-tls1_2', '-CAfile', certPath('ca.pem')])
    client.write('start\n')
    await client.waitFor('stdout', 'start\n')
    // Node.js allows a few renegotiations in 10 minutes (tls.CLIENT_RENEG_LIMIT), then cuts.
    let renegotiated = 0
    for (
      let round = 1;
      round <= 6 && reports.errors.length === 0 && client.process.exitCode === null;
      round++
    ) {
      client.write('R\n')
      await client.waitFor('stderr', new RegExp(`(?:RENEGOTIATING[\\s\\S]*){${round}}`))
      client.write(`after ${round}\n`)
      const echoed = await client.waitFor('stdout', `after ${round}\n`).then(
        () => true,
        () => false,
      )
      if (echoed) renegotiated = round
    }
    const err = await reports.nth(0)
    expect(err).toBeInstanceOf(TlsError)
    expect((err as TlsError).reason).toBe('ERR_TLS_SESSION_ATTACK')
    expect(renegotiated).toBeGreaterThanOrEqual(1)
    expect(renegotiated).toBeLessThan(6)
    expect(await exited(client)).not.toBe(0)
  })

  it('TLS 1.3 key updates from s_client (its k and K commands) mid-stream: the echo goes on', async () => {
    await using s = await echoServer(identity('server'))
    const { port, reports, seen } = s
    const client = opensslClient(port, ['-quiet', '-no_ign_eof', '-tls1_3', '-CAfile', certPath('ca.pem')])
    client.write('one\n')
    await client.waitFor('stdout', 'one\n')
    // k: update our keys; K: and ask the server to update its own.
    client.write('k\n')
    await client.waitFor('stderr', 'KEYUPDATE')
    client.write('two\n')
    await client.waitFor('stdout', 'one\ntwo\n')
    client.write('K\n')
    await client.waitFor('stderr', /KEYUPDATE\nKEYUPDATE/)
    client.write('three\n')
    await client.waitFor('stdout', 'one\ntwo\nthree\n')
    endInput(client)
    expect(await exited(client)).toBe(0)
    expect(seen).toEqual([expect.objectContaining({ protocol: 'TLSv1.3' })])
    expect(reports.errors).toEqual([])
  })

  it('listen({ tls: { alpnProtocols } }) negotiates with s_client -alpn: both sides report http/1.1', async () => {
    await using s = await echoServer({ ...identity('server'), alpnProtocols: ['h2', 'http/1.1'] })
    const { port, reports, seen } = s
    const client = opensslClient(port, ['-CAfile', certPath('ca.pem'), '-alpn', 'spdy/1,http/1.1'])
    await client.waitFor('stdout', /^ALPN protocol: http\/1\.1$/m)
    client.write('alpn\n')
    await client.waitFor('stdout', /^alpn$/m)
    endInput(client)
    expect(await exited(client)).toBe(0)
    expect(seen).toEqual([expect.objectContaining({ alpnProtocol: 'http/1.1' })])
    expect(reports.errors).toEqual([])
  })

  it('listen({ tls: { alpnProtocols } }) refuses s_client offering none of them: onError TlsError, client sees the alert', async () => {
    await using s = await echoServer({ ...identity('server'), alpnProtocols: ['h2'] })
    const { port, reports, seen } = s
    const client = opensslClient(port, ['-quiet', '-CAfile', certPath('ca.pem'), '-alpn', 'http/1.1'])
    const err = await reports.nth(0)
    expect(err).toBeInstanceOf(TlsError)
    expect((err as TlsError).reason).toBe('ERR_SSL_NO_APPLICATION_PROTOCOL')
    expect(await exited(client)).not.toBe(0)
    expect(client.stderr()).toContain('no application protocol')
    expect(seen).toEqual([])
  })

  describe('listen({ tls: { sni } }) serves the certificate of the name s_client asks for', () => {
    const cases = [
      { args: ['-servername', 'other.test'], subject: 'other.test', servername: 'other.test' },
      { args: ['-servername', 'OTHER.test'], subject: 'other.test', servername: 'OTHER.test' },
      { args: ['-servername', 'x.example.test'], subject: 'other.test', servername: 'x.example.test' },
      // The wildcard covers one label only.
      { args: ['-servername', 'a.b.example.test'], subject: 'localhost', servername: 'a.b.example.test' },
      { args: ['-servername', 'unknown.test'], subject: 'localhost', servername: 'unknown.test' },
      { args: ['-noservername'], subject: 'localhost', servername: undefined },
    ]
    for (const { args, subject, servername } of cases) {
      it(`s_client ${args.join(' ')} gets the certificate of ${subject}`, async () => {
        await using s = await echoServer({
          ...identity('server'),
          sni: { 'other.test': identity('other'), '*.example.test': identity('other') },
        })
        const { port, reports, seen } = s
        // Not -verify_return_error: the name is checked here, from the subject s_client prints.
        const client = opensslClient(port, ['-CAfile', certPath('ca.pem'), ...args])
        const [, printed] = await client.waitFor('stdout', /^subject=CN = (\S+)$/m)
        expect(printed).toBe(subject)
        await client.waitFor('stdout', /Verify return code: 0 \(ok\)/)
        client.write('sni\n')
        await client.waitFor('stdout', /^sni$/m)
        endInput(client)
        expect(await exited(client)).toBe(0)
        expect(seen).toEqual([expect.objectContaining({ servername })])
        expect(reports.errors).toEqual([])
      })
    }
  })
})

describe('it-socket listen({ tls }) and clients that do not speak TLS', () => {
  it('a TCP client that never starts the handshake (nc) is closed after handshakeTimeout: onError TimeoutError', async () => {
    const reports = new Reports()
    await using server = await listen({
      host: '127.0.0.1',
      port: 0,
      tls: { ...identity('server'), handshakeTimeout: 1000 },
      onError: reports.onError,
    })
    const served: string[] = []
    void server.serve((conn) => {
      served.push(tlsSeen(conn).protocol)
      return pipe(conn, conn)
    })
    const port = portOf(server)
    // nc -d reads nothing from its stdin: connected, silent. It exits once the server closes the
    // connection.
    const silent = peer('nc', ['-d', '127.0.0.1', String(port)])
    const err = await reports.nth(0)
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err.message).toContain('handshakeTimeout')
    expect(await exited(silent)).toBe(0)
    expect(silent.stdout()).toBe('')
    // The server goes on: s_client's handshake succeeds and its line is echoed.
    const client = opensslClient(port, ['-quiet', '-no_ign_eof', '-CAfile', certPath('ca.pem')])
    client.write('still serving\n')
    await client.waitFor('stdout', 'still serving\n')
    endInput(client)
    expect(await exited(client)).toBe(0)
    expect(served).toEqual(['TLSv1.3'])
    expect(reports.errors).toHaveLength(1)
  })

  const garbage = [
    { what: 'an HTTP request', bytes: 'GET / HTTP/1.0\r\n\r\n', reason: 'ERR_SSL_HTTP_REQUEST' },
    { what: 'a line of text', bytes: 'hello, not TLS\n', reason: 'ERR_SSL_WRONG_VERSION_NUMBER' },
  ]
  for (const { what, bytes, reason } of garbage) {
    it(`a client sending ${what} instead of a ClientHello (nc) gets onError TlsError ${reason}, and the server goes on`, async () => {
      const reports = new Reports()
      await using server = await listen({
        host: '127.0.0.1',
        port: 0,
        tls: identity('server'),
        onError: reports.onError,
      })
      void server.serve((conn) => pipe(conn, conn))
      const port = portOf(server)
      const nc = peer('nc', ['-N', '127.0.0.1', String(port)], bytes)
      const err = await reports.nth(0)
      expect(err).toBeInstanceOf(TlsError)
      expect((err as TlsError).reason).toBe(reason)
      expect(await exited(nc)).toBe(0)
      // Whatever the server answered (an alert, or nothing), none of it is the bytes sent.
      expect(nc.stdout()).not.toContain(bytes)
      const client = opensslClient(port, ['-quiet', '-no_ign_eof', '-CAfile', certPath('ca.pem')])
      client.write('next client\n')
      await client.waitFor('stdout', 'next client\n')
      endInput(client)
      expect(await exited(client)).toBe(0)
      expect(reports.errors).toHaveLength(1)
    })
  }
})

describe('it-socket connect({ tls }) and servers that do not speak TLS', () => {
  it('connect({ tls, timeout }) to a TCP server that never answers the ClientHello (nc -l) fails with TimeoutError', async () => {
    const port = await freePort()
    const nc = peer('nc', ['-v', '-l', '127.0.0.1', String(port)])
    await nc.waitFor('stderr', 'Listening on')
    const err = await connect({ host: '127.0.0.1', port, tls: { ca: pem('ca.pem') }, timeout: 500 }).then(
      (conn) => {
        conn.abort()
        return new Error('connected to a server that never answered')
      },
      (err: unknown) => err,
    )
    expect(err).toBeInstanceOf(TimeoutError)
    // nc received a TLS handshake record (content type 22, version 3.x): our ClientHello.
    await nc.waitFor('stdout', '\u0016\u0003')
    expect(nc.stdout().startsWith('\u0016\u0003')).toBe(true)
  })

  it('connect({ tls }) to a plain-text server (nc -l answering a line) fails with TlsError', async () => {
    const port = await freePort()
    const nc = peer('nc', ['-v', '-N', '-l', '127.0.0.1', String(port)], '220 plain text, not TLS\r\n')
    await nc.waitFor('stderr', 'Listening on')
    const err = await refused(port, { ca: pem('ca.pem') })
    expect(err.reason).toBe('ERR_SSL_WRONG_VERSION_NUMBER')
  })
})
