import { createPrivateKey } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { parseCommand } from '../../src/cli/args.js'
import { usageLine } from '../../src/cli/usage-error.js'
import { rawConnect, readAll, tempDir } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'
import { type Child, cli, killAll, listeningPort, root, usageError } from './helpers.js'

// The built command (npm run build first) as child processes, with the checked-in certificates of
// test/fixtures/tls (see generate.sh there): no openssl needed.
const sockets: Socket[] = []
const cleanups: Array<() => void> = []
afterEach(() => {
  killAll()
  for (const socket of sockets.splice(0)) socket.destroy()
  for (const cleanup of cleanups.splice(0)) cleanup()
})

/** A file of test/fixtures/tls, by absolute path (parseCommand runs in this process too). */
function fixture(name: string): string {
  return `${root}test/fixtures/tls/${name}`
}

const SERVER = ['--cert', fixture('server.pem'), '--key', fixture('server-key.pem')]
const SELF_SIGNED = ['--cert', fixture('self-signed.pem'), '--key', fixture('self-signed-key.pem')]
const CLIENT = ['--cert', fixture('client.pem'), '--key', fixture('client-key.pem')]
const CA = ['--ca', fixture('ca.pem')]

/** A single line on stderr, as every error of the command is. */
const ONE_LINE = /^it-socket: [^\n]+\n$/

/** `it-socket listen 0 --tls --echo --framing lines ...args` (the server's certificate unless given), and its port. */
async function tlsEchoServer(args: string[], certificate = SERVER): Promise<{ server: Child; port: number }> {
  const server = cli(['listen', '0', '--tls', ...certificate, '--echo', '--framing', 'lines', ...args])
  return { server, port: await listeningPort(server) }
}

describe('it-socket --tls', () => {
  it('listen --tls and connect --tls --ca: lines echoed over TLS, exit 0, "tls" on the listening line', async () => {
    const { server, port } = await tlsEchoServer([])
    expect(server.stderr()).toBe(`it-socket: listening on 127.0.0.1:${port} (tls, echo, framing lines)\n`)
    const client = cli(
      ['connect', `localhost:${port}`, '--tls', ...CA, '--framing', 'lines'],
      'hello\nover tls\n',
    )
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('hello\nover tls\n')
    expect(client.stderr()).toBe('')
  })

  it('connect --tls to a self-signed server: exit 1, one line naming DEPTH_ZERO_SELF_SIGNED_CERT, nothing sent', async () => {
    // A printing server: what the client would have sent shows on its stdout.
    const server = cli(['listen', '0', '--tls', ...SELF_SIGNED, '--framing', 'lines'])
    const port = await listeningPort(server)
    const client = cli(['connect', String(port), '--tls', '--framing', 'lines'], 'secret\n')
    expect(await client.exited).toBe(1)
    expect(client.stderr()).toMatch(ONE_LINE)
    expect(client.stderr()).toMatch(
      new RegExp(
        `^it-socket: TLS handshake with localhost:${port} failed \\(DEPTH_ZERO_SELF_SIGNED_CERT\\): `,
      ),
    )
    expect(client.stderr()).toContain('trust it with --ca FILE')
    expect(client.stdout()).toBe('')
    // The client hung up once it had checked the certificate: the server logs it, and got no data.
    await server.waitFor('stderr', /TLS handshake with 127\.0\.0\.1:\d+ failed \(ECONNRESET\)/)
    expect(server.stdout()).toBe('')
  })

  it('connect --tls --ca CERT trusts a self-signed server given its own certificate', async () => {
    const { port } = await tlsEchoServer([], SELF_SIGNED)
    const client = cli(
      ['connect', String(port), '--tls', '--ca', fixture('self-signed.pem'), '--framing', 'lines'],
      'pinned\n',
    )
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('pinned\n')
  })

  it('connect --tls --insecure accepts the self-signed server, after a warning line on stderr', async () => {
    const { port } = await tlsEchoServer([], SELF_SIGNED)
    const client = cli(['connect', String(port), '--tls', '--insecure', '--framing', 'lines'], 'hello\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('hello\n')
    expect(client.stderr()).toMatch(
      /^it-socket: warning: --insecure: the server's certificate is not verified[^\n]*\n$/,
    )
  })

  it('connect --tls --servername: a name the certificate does not have fails with ERR_TLS_CERT_ALTNAME_INVALID', async () => {
    const { port } = await tlsEchoServer([])
    const client = cli(
      ['connect', `127.0.0.1:${port}`, '--tls', ...CA, '--servername', 'other.test', '--framing', 'lines'],
      'hello\n',
    )
    expect(await client.exited).toBe(1)
    expect(client.stderr()).toMatch(ONE_LINE)
    expect(client.stderr()).toMatch(
      new RegExp(
        `^it-socket: TLS handshake with 127\\.0\\.0\\.1:${port} failed \\(ERR_TLS_CERT_ALTNAME_INVALID\\): `,
      ),
    )
    expect(client.stdout()).toBe('')
  })

  it('connect --tls --servername: the certificate is checked against NAME instead of HOST', async () => {
    // other.pem names other.test and *.example.test, not 127.0.0.1.
    const { port } = await tlsEchoServer(
      [],
      ['--cert', fixture('other.pem'), '--key', fixture('other-key.pem')],
    )
    const client = cli(
      [
        'connect',
        `127.0.0.1:${port}`,
        '--tls',
        ...CA,
        '--servername',
        'a.example.test',
        '--framing',
        'lines',
      ],
      'by name\n',
    )
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('by name\n')
  })

  it('mutual TLS: listen --require-client-cert serves a client with --cert/--key signed by --ca; --verbose shows both certificates', async () => {
    const { server, port } = await tlsEchoServer(['--require-client-cert', ...CA, '--verbose'])
    expect(server.stderr()).toContain('(mutual tls, echo, framing lines)')
    const client = cli(
      ['connect', String(port), '--tls', ...CA, ...CLIENT, '--framing', 'lines', '--verbose'],
      'mutual\n',
    )
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('mutual\n')
    expect(client.stderr()).toMatch(
      /^it-socket: connected to 127\.0\.0\.1:\d+: TLSv1\.[23], cipher \S+, no ALPN, server certificate "CN=localhost" issued by "CN=it-socket test CA" \(verified\)\nit-socket: closed: 7 B sent, 7 B received in [^\n]+\n$/,
    )
    const [line] = await server.waitFor('stderr', /it-socket: 127\.0\.0\.1:\d+ connected: .*\n/)
    expect(line).toMatch(
      /connected: TLSv1\.[23], cipher \S+, no ALPN, client certificate "CN=it-socket test client" issued by "CN=it-socket test CA" \(verified\)\n$/,
    )
  })

  it('mutual TLS: a client without a certificate is refused: connect exits 1 naming the alert, listen logs it and serves on', async () => {
    const { server, port } = await tlsEchoServer(['--require-client-cert', ...CA])
    // stdin stays open: the client sends nothing, so what ends it is the server's refusal.
    const refused = cli(['connect', String(port), '--tls', ...CA, '--framing', 'lines'])
    expect(await refused.exited).toBe(1)
    expect(refused.stderr()).toMatch(ONE_LINE)
    expect(refused.stderr()).toMatch(
      deviates('bun-tls-alert-codes')
        ? /failed \(ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED\): .*give --cert and --key/
        : /failed \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\): .*give --cert and --key/,
    )
    await server.waitFor(
      'stderr',
      /it-socket: TLS handshake with 127\.0\.0\.1:\d+ failed \(ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE\): [^\n]*\n/,
    )
    const accepted = cli(['connect', String(port), '--tls', ...CA, ...CLIENT, '--framing', 'lines'], 'next\n')
    expect(await accepted.exited).toBe(0)
    expect(accepted.stdout()).toBe('next\n')
    expect(server.process.exitCode).toBeNull()
  })

  it('mutual TLS: listen refuses a client certificate signed by another CA and logs why', async () => {
    const { server, port } = await tlsEchoServer(['--require-client-cert', ...CA])
    const rogue = ['--cert', fixture('rogue-client.pem'), '--key', fixture('rogue-client-key.pem')]
    const client = cli(['connect', String(port), '--tls', ...CA, ...rogue, '--framing', 'lines'])
    await server.waitFor(
      'stderr',
      /it-socket: TLS handshake with 127\.0\.0\.1:\d+ failed \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): [^\n]*\n/,
    )
    // Node.js's server closes without an alert in this case: the client sees the connection end.
    await client.exited
    expect(client.stdout()).toBe('')
  })

  it('--alpn: the protocol both ends offer is negotiated, and --verbose shows it on both ends', async () => {
    const { server, port } = await tlsEchoServer(['--alpn', 'h2,http/1.1', '--verbose'])
    const client = cli(
      [
        'connect',
        String(port),
        '--tls',
        ...CA,
        '--alpn',
        'spdy/1,http/1.1',
        '--framing',
        'lines',
        '--verbose',
      ],
      'alpn\n',
    )
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('alpn\n')
    expect(client.stderr()).toMatch(/^it-socket: connected to [^\n]*, ALPN http\/1\.1, server certificate /)
    await server.waitFor('stderr', /connected: [^\n]*, ALPN http\/1\.1, no client certificate\n/)
  })

  it('--alpn without a protocol in common: connect exits 1 with one line naming the alert', async () => {
    const { server, port } = await tlsEchoServer(['--alpn', 'h2'])
    const client = cli(['connect', String(port), '--tls', ...CA, '--alpn', 'http/1.1'], 'alpn\n')
    expect(await client.exited).toBe(1)
    expect(client.stderr()).toMatch(ONE_LINE)
    expect(client.stderr()).toMatch(
      /failed \(ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL\): .*no --alpn protocol in common/,
    )
    await server.waitFor('stderr', /failed \(ERR_SSL_NO_APPLICATION_PROTOCOL\)/)
  })

  it('listen --tls: a client that does not speak TLS is logged with the reason, and the server serves on', async () => {
    const { server, port } = await tlsEchoServer([])
    const plain = await rawConnect(port)
    sockets.push(plain)
    plain.on('error', () => {})
    const closed = readAll(plain)
    plain.write('hello, this is not TLS\n')
    const [line] = await server.waitFor(
      'stderr',
      new RegExp(
        `it-socket: TLS handshake with 127\\.0\\.0\\.1:${plain.localPort} failed \\(([A-Z_]+)\\): [^\\n]*\\n`,
      ),
    )
    expect(line).toContain('(ERR_SSL_WRONG_VERSION_NUMBER)')
    // Bun (BoringSSL) answers with a fatal protocol_version alert first (bun-tls-alert-on-plaintext).
    expect([...(await closed)]).toEqual(
      deviates('bun-tls-alert-on-plaintext') ? [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46] : [],
    )
    const client = cli(['connect', String(port), '--tls', ...CA, '--framing', 'lines'], 'still serving\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('still serving\n')
  })
})

describe('it-socket --tls: usage errors', () => {
  const missing = fixture('missing.pem')
  const rows: Array<[args: string[], message: RegExp]> = [
    // files: read before anything is bound, named in the message
    [
      ['listen', '0', '--tls', '--cert', missing, '--key', fixture('server-key.pem')],
      /cannot read --cert ".*missing\.pem": ENOENT/,
    ],
    [['connect', '7788', '--tls', '--ca', missing], /cannot read --ca ".*missing\.pem": ENOENT/],
    [['connect', '7788', '--tls', '--ca', `${root}test/fixtures/tls`], /cannot read --ca ".*tls": EISDIR/],
    [
      ['listen', '0', '--tls', '--cert', fixture('server-key.pem'), '--key', fixture('server-key.pem')],
      /--cert ".*server-key\.pem" is not a PEM certificate/,
    ],
    [
      ['listen', '0', '--tls', '--cert', fixture('server.pem'), '--key', fixture('server.pem')],
      /--key ".*server\.pem" is not a PEM private key/,
    ],
    [
      ['connect', '7788', '--tls', '--ca', fixture('ca-key.pem')],
      /--ca ".*ca-key\.pem" is not a PEM certificate/,
    ],
    [
      ['listen', '0', '--tls', '--cert', '', '--key', fixture('server-key.pem')],
      /--cert: the file name is empty/,
    ],
    // TLS options without --tls, or where TLS cannot go
    [['listen', '0', ...SERVER], /--cert needs --tls/],
    [['connect', '7788', '--insecure'], /--insecure needs --tls/],
    [['connect', '7788', '--alpn', 'h2'], /--alpn needs --tls/],
    [['listen', '0', '--udp', '--tls'], /--tls does not apply to --udp: TLS runs over TCP only/],
    [['connect', '7788', '--udp', '--tls', ...CA], /--tls does not apply to --udp/],
    [['connect', '7788', '--udp', '--servername', 'x'], /--servername does not apply to --udp/],
    [['listen', '--unix', '/tmp/it-socket-tls.sock', '--tls', ...SERVER], /--tls needs a TCP address/],
    [['connect', '--unix', '/tmp/it-socket-tls.sock', '--tls'], /--tls needs a TCP address/],
    // combinations
    [['listen', '0', '--tls'], /--tls needs --cert FILE and --key FILE/],
    [['listen', '0', '--tls', '--cert', fixture('server.pem')], /--tls needs --cert FILE and --key FILE/],
    [['listen', '0', '--tls', ...SERVER, '--require-client-cert'], /--require-client-cert needs --ca FILE/],
    [['listen', '0', '--tls', ...SERVER, ...CA], /--ca on listen .* give --require-client-cert too/],
    [['connect', '7788', '--tls', '--cert', fixture('client.pem')], /--cert and --key go together/],
    [
      ['connect', '7788', '--tls', '--insecure', ...CA],
      /--insecure skips verifying the server, so --ca would not be used/,
    ],
    [['connect', '7788', '--tls', '--servername', ''], /--servername: the name is empty/],
    [['connect', '7788', '--tls', '--alpn', 'h2,'], /bad --alpn "h2,": expected protocol names/],
    [['connect', '7788', '--tls', '--alpn', 'x'.repeat(256)], /bad --alpn "x+"/],
    [['listen', '0', '--tls', ...SERVER, '--alpn', ''], /bad --alpn ""/],
  ]

  it.each(rows)('%j is a usage error of one line, saying %s', (args, message) => {
    const line = `it-socket: ${usageLine(usageError(args))}\n`
    expect(line).toMatch(ONE_LINE)
    expect(line).toMatch(message)
  })

  it('the rest of the command line is checked before any file is read', () => {
    expect(usageError(['listen', '99999', '--tls', '--cert', missing, '--key', missing]).message).toMatch(
      /bad port "99999"/,
    )
  })

  it('listen --tls with a missing --cert file: exit 2, one line naming the file, nothing bound', async () => {
    const server = cli([
      'listen',
      '0',
      '--tls',
      '--cert',
      'no/such/cert.pem',
      '--key',
      fixture('server-key.pem'),
    ])
    expect(await server.exited).toBe(2)
    expect(server.stderr()).toBe(
      'it-socket: cannot read --cert "no/such/cert.pem": ENOENT: no such file or directory (see it-socket listen --help)\n',
    )
    expect(server.stdout()).toBe('')
  })

  it('connect --udp --tls: exit 2 with one line', async () => {
    const client = cli(['connect', '7788', '--udp', '--tls'], '')
    expect(await client.exited).toBe(2)
    expect(client.stderr()).toBe(
      'it-socket: --tls does not apply to --udp: TLS runs over TCP only (see it-socket connect --help)\n',
    )
  })

  it('listen --tls with a key that does not match its certificate: exit 2, one line naming both files', async () => {
    const server = cli([
      'listen',
      '0',
      '--tls',
      '--cert',
      fixture('server.pem'),
      '--key',
      fixture('client-key.pem'),
    ])
    expect(await server.exited).toBe(2)
    expect(server.stderr()).toMatch(ONE_LINE)
    expect(server.stderr()).toMatch(
      /^it-socket: cannot use --cert ".*server\.pem" --key ".*client-key\.pem": listen\(\): .+ \(see it-socket listen --help\)\n$/,
    )
    expect(server.stderr()).not.toContain('listening on')
  })

  it('an encrypted --key is a usage error saying how to decrypt it', () => {
    const { dir, cleanup } = tempDir()
    cleanups.push(cleanup)
    const encrypted = createPrivateKey(readFileSync(fixture('server-key.pem'))).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'secret',
    })
    writeFileSync(`${dir}/encrypted-key.pem`, encrypted)
    const err = usageError([
      'listen',
      '0',
      '--tls',
      '--cert',
      fixture('server.pem'),
      '--key',
      `${dir}/encrypted-key.pem`,
    ])
    expect(err.message).toMatch(
      /--key ".*encrypted-key\.pem" is encrypted: give an unencrypted key \(openssl pkey/,
    )
  })

  it('parseCommand() hands the files read and the flags to the command as the library options', () => {
    const command = parseCommand([
      'connect',
      'example.test:8443',
      '--tls',
      ...CA,
      ...CLIENT,
      '--servername',
      'api.example.test',
      '--alpn',
      'h2,http/1.1',
    ])
    if (command.name !== 'connect') throw new Error(`parsed as ${command.name}`)
    expect(command.options.tls?.options).toEqual({
      ca: readFileSync(fixture('ca.pem')),
      cert: readFileSync(fixture('client.pem')),
      key: readFileSync(fixture('client-key.pem')),
      servername: 'api.example.test',
      alpnProtocols: ['h2', 'http/1.1'],
    })
    const insecure = parseCommand(['connect', '8443', '--tls', '--insecure'])
    if (insecure.name !== 'connect') throw new Error(`parsed as ${insecure.name}`)
    expect(insecure.options.tls?.options).toEqual({ rejectUnauthorized: false })
    const plain = parseCommand(['connect', '8443'])
    if (plain.name !== 'connect') throw new Error(`parsed as ${plain.name}`)
    expect(plain.options.tls).toBeUndefined()
  })
})
