import { createHash } from 'node:crypto'
import { lengthPrefixed, lines, listen, pipe, type Server, type TlsListenOptions } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { killAll } from '../cli/helpers.js'
import { portOf } from '../helpers/net.js'
import { python } from './helpers.js'
import { certPath, exited, identity, pem, Reports, type TlsSeen, tlsSeen } from './tls-helpers.js'

// TLS between it-socket servers and a client written with Python's ssl module and asyncio
// (./fixtures/tls_peer.py), on 127.0.0.1. The client trusts ca.pem only and checks the name
// localhost; it verifies what comes back itself and exits 1 naming the first difference.
afterEach(killAll)

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close()
})

/** An it-socket TLS server running `handler` on each connection, recording each `conn.tls`. */
async function tlsServer(
  handler: Parameters<Server['serve']>[0],
  tls: TlsListenOptions = identity('server'),
): Promise<{ port: number; reports: Reports; seen: TlsSeen[] }> {
  const reports = new Reports()
  const seen: TlsSeen[] = []
  const server = await listen({ host: '127.0.0.1', port: 0, tls, onError: reports.onError })
  servers.push(server)
  void server.serve((conn) => {
    seen.push(tlsSeen(conn))
    return handler(conn)
  })
  return { port: portOf(server), reports, seen }
}

/** tls_peer.py as a client of `port` (`mode`: bytes, frames or lines). */
function pythonClient(mode: string, port: number, args: string[] = []) {
  return python('tls_peer.py', [mode, String(port), '--ca', certPath('ca.pem'), ...args])
}

describe('tls_peer.py (Python ssl) → it-socket listen({ tls })', () => {
  it('32 MiB sent by Python come back through an it-socket TLS echo server with the same SHA-256', async () => {
    const hash = createHash('sha256')
    let bytes = 0
    const { port, reports } = await tlsServer((conn) =>
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
    const client = pythonClient('bytes', port, ['--size', String(32 * 1024 * 1024)])
    expect(await exited(client, 60_000)).toBe(0)
    const sent = /^sent (\d+) ([0-9a-f]{64})$/m.exec(client.stdout())
    const received = /^received (\d+) ([0-9a-f]{64})$/m.exec(client.stdout())
    expect(sent?.[1]).toBe(String(32 * 1024 * 1024))
    expect(received?.slice(1)).toEqual(sent?.slice(1))
    // What passed through the server is what Python sent, byte for byte.
    expect([bytes, hash.digest('hex')]).toEqual([32 * 1024 * 1024, sent?.[2]])
    expect(reports.errors).toEqual([])
  }, 90_000)

  it('lengthPrefixed() frames from Python are decoded, reversed and re-encoded over TLS', async () => {
    const sizes: number[] = []
    const { port, reports } = await tlsServer((conn) => {
      const lp = lengthPrefixed()
      return pipe(
        conn,
        lp.decode,
        async function* (frames) {
          for await (const frame of frames) {
            sizes.push(frame.byteLength)
            yield Uint8Array.from(frame).reverse()
          }
        },
        lp.encode,
        conn,
      )
    })
    const client = pythonClient('frames', port)
    expect(await exited(client, 30_000)).toBe(0)
    expect(client.stdout()).toMatch(/^frames ok 11$/m)
    // tls_peer.py's FRAME_SIZES, up to lengthPrefixed()'s default maxLength (1 MiB).
    expect(sizes).toEqual([0, 1, 2, 127, 128, 300, 16383, 16384, 65536, 100000, 1 << 20])
    expect(reports.errors).toEqual([])
  })

  it('lines() from Python (\\n and \\r\\n endings, UTF-8, a 60000-byte line) are answered line by line over TLS', async () => {
    const received: string[] = []
    const { port, reports } = await tlsServer((conn) => {
      const codec = lines()
      return pipe(
        conn,
        codec.decode,
        async function* (source) {
          for await (const line of source) yield `${received.push(line) - 1}:${line}`
        },
        codec.encode,
        conn,
      )
    })
    const client = pythonClient('lines', port)
    expect(await exited(client)).toBe(0)
    expect(client.stdout()).toMatch(/^lines ok 6$/m)
    // tls_peer.py's LINES: the \r of the CRLF line is not part of it.
    expect(received).toEqual([
      'hello',
      '',
      'ünïcödé 안녕하세요 🎉',
      'x'.repeat(60000),
      'a line ended by CRLF',
      'last',
    ])
    expect(reports.errors).toEqual([])
  })

  it('mutual TLS and ALPN with Python: the server sees its client certificate and both report echo/1', async () => {
    const { port, reports, seen } = await tlsServer(
      (conn) => {
        const codec = lines()
        let i = 0
        return pipe(
          conn,
          codec.decode,
          async function* (source) {
            for await (const line of source) yield `${i++}:${line}`
          },
          codec.encode,
          conn,
        )
      },
      { ...identity('server'), ca: pem('ca.pem'), requestCert: true, alpnProtocols: ['echo/1'] },
    )
    const client = pythonClient('lines', port, [
      '--cert',
      certPath('client.pem'),
      '--key',
      certPath('client-key.pem'),
      '--alpn',
      'h2,echo/1',
    ])
    expect(await exited(client)).toBe(0)
    expect(client.stdout()).toMatch(/^tls TLSv1\.3 echo\/1$/m)
    expect(client.stdout()).toMatch(/^lines ok 6$/m)
    expect(seen).toEqual([
      expect.objectContaining({
        authorized: true,
        peerSubject: 'it-socket test client',
        alpnProtocol: 'echo/1',
        servername: 'localhost',
      }),
    ])
    expect(reports.errors).toEqual([])
  })

  it('a Python client with the certificate of another CA is refused: onError TlsError, Python fails', async () => {
    const { port, reports, seen } = await tlsServer(() => Promise.resolve(), {
      ...identity('server'),
      ca: pem('ca.pem'),
      requestCert: true,
    })
    const client = pythonClient('lines', port, [
      '--cert',
      certPath('rogue-client.pem'),
      '--key',
      certPath('rogue-client-key.pem'),
    ])
    expect(await exited(client)).toBe(1)
    expect(client.stdout()).not.toMatch(/lines ok/)
    const err = await reports.nth(0)
    expect(err).toMatchObject({
      name: 'TlsError',
      code: 'ERR_TLS',
      reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    })
    expect(seen).toEqual([])
  })
})
