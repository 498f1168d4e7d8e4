import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, listen, pipe, type Server, TlsError } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../cli/helpers.js'
import { pseudoRandomBytes, sha256 } from '../helpers/bytes.js'
import { portOf, tempDir } from '../helpers/net.js'
import { peer } from './helpers.js'
import { certPath, exited, identity, pem, Reports, readToEnd, socatServer } from './tls-helpers.js'

// TLS between it-socket and socat's OPENSSL: (client) and OPENSSL-LISTEN: (server) addresses, on
// 127.0.0.1. socat verifies the peer by default (verify=1) against cafile=, and checks the server's
// certificate against the host it connects to (127.0.0.1 is in server.pem's subjectAltName).
afterEach(killAll)

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A TLS echo server that hashes what passes through it. */
async function hashingEchoServer(
  reports: Reports,
): Promise<{ server: Server; passed: () => [number, string] }> {
  const server = await listen({
    host: '127.0.0.1',
    port: 0,
    tls: identity('server'),
    onError: reports.onError,
  })
  cleanups.push(() => server.close())
  const hash = createHash('sha256')
  let bytes = 0
  void server.serve((conn) =>
    pipe(
      conn,
      async function* (source) {
        for await (const chunk of source) {
          hash.update(chunk)
          bytes += chunk.byteLength
          yield chunk
        }
      },
      conn,
    ),
  )
  return { server, passed: () => [bytes, hash.copy().digest('hex')] }
}

describe('socat OPENSSL: → it-socket listen({ tls })', () => {
  it('32 MiB from socat come back through an it-socket TLS echo server with the same SHA-256', async () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const input = join(dir, 'in.bin')
    const output = join(dir, 'out.bin')
    const data = pseudoRandomBytes(32 * 1024 * 1024, 13)
    writeFileSync(input, data)
    const reports = new Reports()
    const { server, passed } = await hashingEchoServer(reports)
    // Reads the file into the TLS connection and writes what comes back to another; -t: once the
    // file is sent (and close_notify with it), wait up to 30 s for the rest of the echo.
    const socat = peer('socat', [
      '-t',
      '30',
      `OPEN:${input},rdonly!!CREATE:${output}`,
      `OPENSSL:127.0.0.1:${portOf(server)},cafile=${certPath('ca.pem')}`,
    ])
    expect(await exited(socat, 60_000)).toBe(0)
    const echoed = readFileSync(output)
    expect(echoed.byteLength).toBe(data.byteLength)
    expect(sha256([echoed])).toBe(sha256([data]))
    expect(passed()).toEqual([data.byteLength, sha256([data])])
    expect(reports.errors).toEqual([])
  }, 90_000)

  it("socat trusting another CA refuses it-socket's certificate: socat fails, onError gets TlsError", async () => {
    const reports = new Reports()
    const { server, passed } = await hashingEchoServer(reports)
    const socat = peer(
      'socat',
      ['-', `OPENSSL:127.0.0.1:${portOf(server)},cafile=${certPath('other-ca.pem')}`],
      'never sent\n',
    )
    expect(await exited(socat)).not.toBe(0)
    expect(socat.stderr()).toMatch(/certificate verify failed/)
    const err = await reports.nth(0)
    expect(err).toBeInstanceOf(TlsError)
    // socat's OpenSSL tells the server why with an alert.
    expect((err as TlsError).reason).toBe('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')
    expect(passed()[0]).toBe(0)
  })
})

describe('it-socket connect({ tls }) → socat OPENSSL-LISTEN:', () => {
  /** socat as a TLS echo server (PIPE sends back what it reads) that requires a client certificate. */
  function mutualEchoServer() {
    return socatServer([
      `OPENSSL-LISTEN:0,bind=127.0.0.1,cert=${certPath('server.pem')},key=${certPath('server-key.pem')},cafile=${certPath('ca.pem')},verify=1`,
      'PIPE',
    ])
  }

  it('connect() with a client certificate: socat verifies it, and 4 MiB come back with the same SHA-256', async () => {
    const { child, port } = await mutualEchoServer()
    const data = pseudoRandomBytes(4 * 1024 * 1024, 29)
    await using conn = await connect({
      host: '127.0.0.1',
      port,
      tls: { ca: pem('ca.pem'), servername: 'localhost', ...identity('client') },
    })
    expect(conn.tls?.authorized).toBe(true)
    expect(conn.tls?.peerCertificate?.subject.CN).toBe('localhost')
    // Sent in 64 KiB chunks, read at once: PIPE holds little, so both directions must flow.
    const chunks = Array.from({ length: 64 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536))
    const [echoed] = await Promise.all([readToEnd(conn.source), conn.sink(chunks)])
    expect(echoed.byteLength).toBe(data.byteLength)
    expect(sha256([echoed])).toBe(sha256([data]))
    expect(await exited(child)).toBe(0)
  })

  it('connect() without a client certificate: socat refuses, and the first read fails with TlsError', async () => {
    const { child, port } = await mutualEchoServer()
    // TLS 1.3: our side of the handshake completes first; socat's alert arrives after.
    await using conn = await connect({ host: '127.0.0.1', port, tls: { ca: pem('ca.pem') } })
    const err = await readToEnd(conn.source).then(
      () => new Error('read to the end: socat was expected to refuse us'),
      (err: unknown) => err,
    )
    expect(err).toBeInstanceOf(TlsError)
    expect((err as TlsError).reason).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')
    expect(await exited(child)).not.toBe(0)
    expect(child.stderr()).toMatch(/peer did not return a certificate/)
  })
})
