import { createPrivateKey } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { connect, listen, type Server } from 'it-socket'
import { describe, expect, it } from 'vitest'
import { portOf, rawConnect, recordingServer, tempDir } from '../helpers/net.js'
import { certs, roundTrip, tlsEchoServer, trustServer } from './helpers.js'

/** `key` (PEM) encrypted with `passphrase`. */
function encryptedKey(key: string, passphrase: string): string {
  return createPrivateKey(key)
    .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase })
    .toString()
}

const encryptedClientKey = encryptedKey(certs.client.key, 'client secret')
const encryptedServerKey = encryptedKey(certs.server.key, 'server secret')

/** A TCP port on 127.0.0.1 that was free a moment ago: bound with port 0, then let go. */
async function freePort(): Promise<number> {
  const probe = await listen({ host: '127.0.0.1' })
  const port = portOf(probe)
  await probe.close()
  return port
}

function expectMessage(err: unknown, message: string | RegExp): void {
  if (typeof message === 'string') expect((err as Error).message).toBe(message)
  else expect((err as Error).message).toMatch(message)
}

const badClientTls: Array<{
  label: string
  tls: unknown
  error: ErrorConstructor
  message: string | RegExp
}> = [
  {
    label: "'yes'",
    tls: 'yes',
    error: TypeError,
    message: 'connect(): tls must be true or an object of TLS options, got string',
  },
  {
    label: 'null',
    tls: null,
    error: TypeError,
    message: 'connect(): tls must be true or an object of TLS options, got null',
  },
  {
    label: "{ alpnProtocols: 'h2' }",
    tls: { alpnProtocols: 'h2' },
    error: TypeError,
    message: 'connect(): tls.alpnProtocols must be a non-empty array of protocol names, got string',
  },
  {
    label: '{ alpnProtocols: [] }',
    tls: { alpnProtocols: [] },
    error: TypeError,
    message: 'connect(): tls.alpnProtocols must be a non-empty array of protocol names, got Array',
  },
  {
    label: "{ alpnProtocols: [''] }",
    tls: { alpnProtocols: [''] },
    error: TypeError,
    message: 'connect(): tls.alpnProtocols entries must be strings of 1 to 255 bytes, got string',
  },
  {
    label: '{ alpnProtocols: [256 bytes] }',
    tls: { alpnProtocols: ['x'.repeat(256)] },
    error: TypeError,
    message: 'connect(): tls.alpnProtocols entries must be strings of 1 to 255 bytes, got string',
  },
  {
    label: "{ minVersion: 'TLSv1.1' }",
    tls: { minVersion: 'TLSv1.1' },
    error: TypeError,
    message: "connect(): tls.minVersion must be 'TLSv1.2' or 'TLSv1.3', got string",
  },
  {
    label: '{ foo: 1 }',
    tls: { foo: 1 },
    error: TypeError,
    message: /^connect\(\): unknown TLS option tls\.foo \(known: ca, cert, key, /,
  },
  {
    label: '{ handshakeTimeout: 1 } (a server option)',
    tls: { handshakeTimeout: 1 },
    error: TypeError,
    message: /^connect\(\): unknown TLS option tls\.handshakeTimeout /,
  },
  {
    label: '{ cert } without key',
    tls: { cert: certs.client.cert },
    error: TypeError,
    message: 'connect(): tls.cert and tls.key go together: give both or neither',
  },
  {
    label: '{ key } without cert',
    tls: { key: certs.client.key },
    error: TypeError,
    message: 'connect(): tls.cert and tls.key go together: give both or neither',
  },
  {
    label: "{ servername: '' }",
    tls: { servername: '' },
    error: TypeError,
    message: 'connect(): tls.servername must be a non-empty string, got string',
  },
  {
    label: "{ rejectUnauthorized: 'no' }",
    tls: { rejectUnauthorized: 'no' },
    error: TypeError,
    message: 'connect(): tls.rejectUnauthorized must be a boolean, got string',
  },
  {
    label: '{ passphrase: 1 }',
    tls: { passphrase: 1 },
    error: TypeError,
    message: 'connect(): tls.passphrase must be a string, got 1',
  },
  {
    label: "{ session: 'abc' }",
    tls: { session: 'abc' },
    error: TypeError,
    message: 'connect(): tls.session must be a Buffer (an earlier conn.tls.session), got string',
  },
  {
    label: '{ ca: [] }',
    tls: { ca: [] },
    error: TypeError,
    message: 'connect(): tls.ca must be PEM text, a Buffer, or a non-empty array of them, got Array',
  },
  {
    label: '{ ca: 42 }',
    tls: { ca: 42 },
    error: TypeError,
    message: 'connect(): tls.ca must be PEM text, a Buffer, or a non-empty array of them, got 42',
  },
  {
    label: '{ cert, key } that do not match',
    tls: { cert: certs.client.cert, key: certs.server.key },
    error: TypeError,
    message: /^connect\(\): tls\.cert and tls\.key do not match: .*\(ERR_OSSL_X509_KEY_VALUES_MISMATCH\)$/,
  },
  {
    label: "{ cert: 'not PEM', key }",
    tls: { cert: 'not PEM', key: certs.client.key },
    error: TypeError,
    message: /^connect\(\): .*tls\.cert\b.*ERR_OSSL_PEM_NO_START_LINE/,
  },
  {
    label: "{ cert, key: 'not PEM' }",
    tls: { cert: certs.client.cert, key: 'not PEM' },
    error: TypeError,
    message: /^connect\(\): .*tls\.key\b.*ERR_OSSL_/,
  },
  {
    label: '{ cert, key, passphrase } with the wrong passphrase',
    tls: { cert: certs.client.cert, key: encryptedClientKey, passphrase: 'wrong' },
    error: TypeError,
    message: /^connect\(\): .*tls\.(key|passphrase)\b.*ERR_OSSL_BAD_DECRYPT/,
  },
  {
    label: "{ ca: 'not PEM' }",
    tls: { ca: 'not PEM' },
    error: TypeError,
    message: /^connect\(\): .*tls\.ca\b/,
  },
]

describe('connect({ tls }) checks its options before any socket exists', () => {
  it.each(badClientTls.map((row) => [row.label, row.error.name, row] as const))(
    'connect({ tls: %s }) rejects with %s naming the option, and opens no socket',
    async (_label, _name, { tls, error, message }) => {
      const server = await recordingServer()
      try {
        // A timeout bounds the test should a bad option slip through to a handshake nobody answers.
        const err = await connect({
          host: '127.0.0.1',
          port: server.port,
          timeout: 2_000,
          tls,
        } as never).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(error)
        expectMessage(err, message)
        // A socket made before the check would have connected before this probe (accepts are in order).
        const probe = await rawConnect(server.port)
        await server.acceptedUpTo(probe.localPort ?? 0)
        expect(server.accepted).toEqual([probe.localPort])
        probe.destroy()
      } finally {
        await server.close()
      }
    },
  )

  it('connect({ tls: false }) is a plain TCP connection', async () => {
    await using server = await listen({ host: '127.0.0.1' })
    void server.serve((conn) => conn.sink(conn.source))
    await using conn = await connect({ host: '127.0.0.1', port: portOf(server), tls: false })
    expect(conn.tls).toBeUndefined()
    expect(await roundTrip(conn, 'plain')).toBe('plain')
  })

  it('connect({ tls: { cert, key, passphrase } }) decrypts an encrypted client key', async () => {
    await using peer = await tlsEchoServer({ ...certs.server, ca: certs.ca, requestCert: true })
    await using conn = await connect({
      host: '127.0.0.1',
      port: peer.port,
      tls: { ...trustServer, cert: certs.client.cert, key: encryptedClientKey, passphrase: 'client secret' },
    })
    expect(await roundTrip(conn, 'decrypted')).toBe('decrypted')
    expect(peer.served[0]?.peerCertificate?.subject.CN).toBe('it-socket test client')
  })
})

const badServerTls: Array<{
  label: string
  tls: unknown
  error: ErrorConstructor
  message: string | RegExp
}> = [
  {
    label: 'true',
    tls: true,
    error: TypeError,
    message: 'listen(): tls must be an object with at least cert and key, got true',
  },
  {
    label: '{}',
    tls: {},
    error: TypeError,
    message: 'listen(): tls.cert and tls.key are required to serve TLS',
  },
  {
    label: '{ cert } without key',
    tls: { cert: certs.server.cert },
    error: TypeError,
    message: 'listen(): tls.cert and tls.key are required to serve TLS',
  },
  {
    label: '{ cert, key, foo: 1 }',
    tls: { ...certs.server, foo: 1 },
    error: TypeError,
    message: /^listen\(\): unknown TLS option tls\.foo \(known: ca, cert, key, /,
  },
  {
    label: '{ cert, key, session } (a client option)',
    tls: { ...certs.server, session: Buffer.alloc(8) },
    error: TypeError,
    message: /^listen\(\): unknown TLS option tls\.session /,
  },
  {
    label: "{ cert, key, requestCert: 'yes' }",
    tls: { ...certs.server, requestCert: 'yes' },
    error: TypeError,
    message: 'listen(): tls.requestCert must be a boolean, got string',
  },
  {
    label: '{ cert, key, rejectUnauthorized: 1 }',
    tls: { ...certs.server, rejectUnauthorized: 1 },
    error: TypeError,
    message: 'listen(): tls.rejectUnauthorized must be a boolean, got 1',
  },
  {
    label: '{ cert, key, alpnProtocols: [] }',
    tls: { ...certs.server, alpnProtocols: [] },
    error: TypeError,
    message: 'listen(): tls.alpnProtocols must be a non-empty array of protocol names, got Array',
  },
  {
    label: "{ cert, key, minVersion: 'SSLv3' }",
    tls: { ...certs.server, minVersion: 'SSLv3' },
    error: TypeError,
    message: "listen(): tls.minVersion must be 'TLSv1.2' or 'TLSv1.3', got string",
  },
  {
    label: '{ cert, key, handshakeTimeout: -1 }',
    tls: { ...certs.server, handshakeTimeout: -1 },
    error: RangeError,
    message: 'listen(): tls.handshakeTimeout must be a number of milliseconds from 0 to 2147483647, got -1',
  },
  {
    label: '{ cert, key, handshakeTimeout: 2 ** 31 }',
    tls: { ...certs.server, handshakeTimeout: 2 ** 31 },
    error: RangeError,
    message:
      'listen(): tls.handshakeTimeout must be a number of milliseconds from 0 to 2147483647, got 2147483648',
  },
  {
    label: "{ cert, key, sni: 'other.test' }",
    tls: { ...certs.server, sni: 'other.test' },
    error: TypeError,
    message: 'listen(): tls.sni must be an object of { [serverName]: { cert, key } }, got string',
  },
  {
    label: "{ cert, key, sni: { 'a.*.test' } }",
    tls: { ...certs.server, sni: { 'a.*.test': certs.other } },
    error: TypeError,
    message:
      'listen(): tls.sni["a.*.test"]: a server name must be a DNS name or *.name (one wildcard, leftmost), got "a.*.test"',
  },
  {
    label: "{ cert, key, sni: { 'other.test': PEM text } }",
    tls: { ...certs.server, sni: { 'other.test': certs.other.cert } },
    error: TypeError,
    message: 'listen(): tls.sni["other.test"] must be an object with cert and key, got string',
  },
  {
    label: "{ cert, key, sni: { 'other.test': { cert } } }",
    tls: { ...certs.server, sni: { 'other.test': { cert: certs.other.cert } } },
    error: TypeError,
    message: 'listen(): tls.sni["other.test"] needs both cert and key',
  },
  {
    label: '{ cert, key } that do not match',
    tls: { cert: certs.server.cert, key: certs.client.key },
    error: TypeError,
    message: /^listen\(\): tls\.cert and tls\.key do not match: .*\(ERR_OSSL_X509_KEY_VALUES_MISMATCH\)$/,
  },
  {
    label: "{ cert, key, sni: { 'other.test': { cert, key } } } that do not match",
    tls: { ...certs.server, sni: { 'other.test': { cert: certs.other.cert, key: certs.server.key } } },
    error: TypeError,
    message: /^listen\(\): tls\.sni\["other\.test"\].*\(ERR_OSSL_X509_KEY_VALUES_MISMATCH\)$/,
  },
  {
    label: "{ cert: 'not PEM', key }",
    tls: { cert: 'not PEM', key: certs.server.key },
    error: TypeError,
    message: /^listen\(\): .*tls\.cert\b.*ERR_OSSL_PEM_NO_START_LINE/,
  },
  {
    label: "{ cert, key: 'not PEM' }",
    tls: { cert: certs.server.cert, key: 'not PEM' },
    error: TypeError,
    message: /^listen\(\): .*tls\.key\b.*ERR_OSSL_/,
  },
  {
    label: "{ cert, key, sni: { 'other.test': { cert: 'not PEM', key } } }",
    tls: { ...certs.server, sni: { 'other.test': { cert: 'not PEM', key: certs.other.key } } },
    error: TypeError,
    message: /^listen\(\): .*tls\.sni\["other\.test"\]\.cert\b.*ERR_OSSL_PEM_NO_START_LINE/,
  },
  {
    label: '{ cert, key } encrypted, without passphrase',
    tls: { cert: certs.server.cert, key: encryptedServerKey },
    error: TypeError,
    message: /^listen\(\): .*tls\.(key|passphrase)\b.*ERR_OSSL_BAD_DECRYPT/,
  },
  {
    label: "{ cert, key, ca: 'not PEM' }",
    tls: { ...certs.server, ca: 'not PEM', requestCert: true },
    error: TypeError,
    message: /^listen\(\): .*tls\.ca\b/,
  },
]

describe('listen({ tls }) checks its options before binding', () => {
  it.each(badServerTls.map((row) => [row.label, row.error.name, row] as const))(
    'listen({ tls: %s }) rejects with %s naming the option, and leaves the port free',
    async (_label, _name, { tls, error, message }) => {
      const port = await freePort()
      const result: unknown = await listen({ host: '127.0.0.1', port, tls } as never).catch((e: unknown) => e)
      // Should a bad option slip through, the server it made must not outlive the test.
      if (!(result instanceof Error)) await (result as Server).close()
      expect(result).toBeInstanceOf(error)
      expectMessage(result, message)
      // Nothing was bound: the same port can be bound again.
      await using again = await listen({ host: '127.0.0.1', port })
      expect(portOf(again)).toBe(port)
    },
  )

  it('listen({ path, tls }) throws TypeError before creating the socket file: TLS needs TCP', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, 'tls.sock')
      const err = await listen({ path, tls: certs.server } as never).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TypeError)
      expect((err as Error).message).toMatch(/^listen\(\): tls needs a TCP port/)
      expect(existsSync(path)).toBe(false)
    } finally {
      cleanup()
    }
  })

  it('listen({ tls: { cert, key, passphrase } }) decrypts an encrypted server key', async () => {
    await using peer = await tlsEchoServer({
      cert: certs.server.cert,
      key: encryptedServerKey,
      passphrase: 'server secret',
    })
    await using conn = await connect({ host: '127.0.0.1', port: peer.port, tls: trustServer })
    expect(conn.tls?.peerCertificate?.subject.CN).toBe('localhost')
    expect(await roundTrip(conn, 'decrypted')).toBe('decrypted')
  })

  it('listen({ tls }) and connect({ tls }) take PEM as Buffers, and several CAs as an array', async () => {
    await using peer = await tlsEchoServer({
      cert: Buffer.from(certs.server.cert),
      key: Buffer.from(certs.server.key),
      ca: [certs.otherCa, Buffer.from(certs.ca)],
      requestCert: true,
    })
    await using conn = await connect({
      host: '127.0.0.1',
      port: peer.port,
      tls: { ca: [Buffer.from(certs.ca)], servername: 'localhost', ...certs.client },
    })
    expect(await roundTrip(conn, 'buffers')).toBe('buffers')
    expect(peer.served[0]?.authorized).toBe(true)
  })
})
