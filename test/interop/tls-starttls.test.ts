import { type Connection, connect, framed, lines, listen, pipe, startTls, TlsError } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll, listeningPort } from '../cli/helpers.js'
import { portOf } from '../helpers/net.js'
import { peer, python } from './helpers.js'
import {
  certPath,
  endInput,
  exited,
  identity,
  opensslClient,
  pem,
  Reports,
  type TlsSeen,
  tlsSeen,
} from './tls-helpers.js'

// STARTTLS with peers we did not write: a plain connection speaks a little SMTP with
// framed(conn, lines()), then unwrap() hands its bytes to startTls(), which upgrades the same socket.
// `openssl s_client -starttls smtp` is the client of an it-socket server; tls_peer.py
// (./fixtures/, Python's ssl) is the server of an it-socket client.
afterEach(killAll)

/**
 * The it-socket side of an SMTP server up to STARTTLS: greets, answers EHLO (advertising STARTTLS)
 * and STARTTLS, then upgrades as the TLS server and echoes. Records the plain lines it read, what
 * the TLS connection negotiated, and a failed upgrade.
 */
function smtpServer() {
  const plain: string[] = []
  const seen: TlsSeen[] = []
  const failures: unknown[] = []
  const handler = async (conn: Connection): Promise<void> => {
    const smtp = framed(conn, lines())
    await smtp.write('220 it-socket ESMTP ready')
    for (;;) {
      const line = await smtp.read()
      if (line === undefined) return
      plain.push(line)
      if (/^EHLO /i.test(line)) {
        await smtp.write(`250-it-socket greets ${line.slice(5)}`)
        await smtp.write('250 STARTTLS')
      } else if (/^STARTTLS$/i.test(line)) {
        await smtp.write('220 2.0.0 Ready to start TLS')
        break
      } else {
        await smtp.write('530 5.7.0 Must issue a STARTTLS command first')
      }
    }
    let secure: Connection
    try {
      secure = await startTls(smtp.unwrap(), { isServer: true, ...identity('server') })
    } catch (err) {
      failures.push(err)
      return
    }
    seen.push(tlsSeen(secure))
    await pipe(secure, secure)
  }
  return { plain, seen, failures, handler }
}

describe('openssl s_client -starttls smtp → it-socket (framed lines, unwrap, startTls as server)', () => {
  it('s_client upgrades after EHLO and STARTTLS, verifies the certificate, and its line is echoed over TLS', async () => {
    const reports = new Reports()
    await using server = await listen({ host: '127.0.0.1', port: 0, onError: reports.onError })
    const smtp = smtpServer()
    void server.serve(smtp.handler)
    const client = opensslClient(portOf(server), [
      '-starttls',
      'smtp',
      '-name',
      'client.test',
      '-CAfile',
      certPath('ca.pem'),
      '-verify_return_error',
      '-quiet',
      '-no_ign_eof',
    ])
    client.write('hello over STARTTLS\n')
    await client.waitFor('stdout', 'hello over STARTTLS\n')
    endInput(client)
    expect(await exited(client)).toBe(0)
    // s_client's side of the plain dialogue (its EHLO name from -name), then TLS.
    expect(smtp.plain).toEqual(['EHLO client.test', 'STARTTLS'])
    expect(smtp.seen).toEqual([expect.objectContaining({ protocol: 'TLSv1.3', authorized: false })])
    expect(client.stderr()).not.toContain("Didn't find STARTTLS")
    expect(smtp.failures).toEqual([])
    expect(reports.errors).toEqual([])
  })

  it('s_client -starttls smtp -tls1_2 upgrades too: TLS 1.2 over the same socket', async () => {
    await using server = await listen({ host: '127.0.0.1', port: 0 })
    const smtp = smtpServer()
    void server.serve(smtp.handler)
    const client = opensslClient(portOf(server), [
      '-starttls',
      'smtp',
      '-tls1_2',
      '-CAfile',
      certPath('ca.pem'),
      '-verify_return_error',
      '-quiet',
      '-no_ign_eof',
    ])
    client.write('twelve\n')
    await client.waitFor('stdout', 'twelve\n')
    endInput(client)
    expect(await exited(client)).toBe(0)
    expect(smtp.seen).toEqual([expect.objectContaining({ protocol: 'TLSv1.2' })])
  })

  it('plaintext pipelined after STARTTLS (nc) is never read as a command: startTls() fails with TlsError', async () => {
    // CVE-2011-0411's injection: commands sent in the same packet as STARTTLS must not be executed
    // as if they came over TLS. unwrap() hands them to the handshake, which refuses them.
    await using server = await listen({ host: '127.0.0.1', port: 0 })
    const smtp = smtpServer()
    void server.serve(smtp.handler)
    const nc = peer(
      'nc',
      ['-N', '127.0.0.1', String(portOf(server))],
      'EHLO injector.test\r\nSTARTTLS\r\nRSET\r\nMAIL FROM:<attacker@example.test>\r\n',
    )
    expect(await exited(nc)).toBe(0)
    expect(nc.stdout()).toContain('220 2.0.0 Ready to start TLS')
    expect(smtp.plain).toEqual(['EHLO injector.test', 'STARTTLS'])
    expect(smtp.failures).toHaveLength(1)
    expect(smtp.failures[0]).toBeInstanceOf(TlsError)
    // The handshake read "RSET\r\n…" where a TLS record should begin.
    expect((smtp.failures[0] as TlsError).reason).toBe('ERR_SSL_WRONG_VERSION_NUMBER')
    expect(smtp.seen).toEqual([])
  })
})

describe('it-socket (framed lines, unwrap, startTls as client) → tls_peer.py starttls-server', () => {
  function pythonSmtp() {
    return python('tls_peer.py', [
      'starttls-server',
      '--cert',
      certPath('server.pem'),
      '--key',
      certPath('server-key.pem'),
    ])
  }

  it('connect(), EHLO, STARTTLS, startTls({ ca, servername }): Python sees SNI localhost and answers over TLS', async () => {
    const server = pythonSmtp()
    const port = await listeningPort(server)
    await using conn = await connect({ host: '127.0.0.1', port })
    const smtp = framed(conn, lines())
    expect(await smtp.read()).toBe('220 python ESMTP ready')
    expect(await smtp.request('EHLO it-socket.test')).toBe('250-python greets it-socket.test')
    expect(await smtp.read()).toBe('250 STARTTLS')
    expect(await smtp.request('STARTTLS')).toBe('220 2.0.0 Ready to start TLS')
    await using secure = await startTls(smtp.unwrap(), { ca: pem('ca.pem'), servername: 'localhost' })
    expect(secure.tls?.authorized).toBe(true)
    expect(secure.tls?.peerCertificate?.subject.CN).toBe('localhost')
    const mail = framed(secure, lines())
    expect(await mail.request('MAIL FROM:<it-socket@example.test>')).toBe(
      '250 MAIL FROM:<it-socket@example.test>',
    )
    expect(await mail.request('QUIT')).toBe('221 bye')
    expect(await exited(server)).toBe(0)
    expect(server.stdout().split('\n')).toEqual([
      'plain EHLO it-socket.test',
      'plain STARTTLS',
      `tls ${secure.tls?.protocol} sni=localhost`,
      'secure MAIL FROM:<it-socket@example.test>',
      'secure QUIT',
      '',
    ])
  })

  it('startTls() trusting another CA refuses the Python server: TlsError, nothing sent over TLS', async () => {
    const server = pythonSmtp()
    const port = await listeningPort(server)
    await using conn = await connect({ host: '127.0.0.1', port })
    const smtp = framed(conn, lines())
    expect(await smtp.read()).toBe('220 python ESMTP ready')
    expect(await smtp.request('STARTTLS')).toBe('220 2.0.0 Ready to start TLS')
    const err = await startTls(smtp.unwrap(), { ca: pem('other-ca.pem'), servername: 'localhost' }).then(
      () => new Error('startTls() was expected to refuse the server'),
      (err: unknown) => err,
    )
    expect(err).toBeInstanceOf(TlsError)
    expect((err as TlsError).reason).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    // Python's side: the client went away after the handshake, before any line over TLS.
    expect(await exited(server)).toBe(1)
    expect(server.stdout()).not.toContain('secure ')
  })
})
