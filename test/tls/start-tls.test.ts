/**
 * startTls(): STARTTLS over a plain connection, both sides it-socket or one side node:tls, with the
 * bytes received past the upgrade point handed to the handshake (never lost, never read as
 * plaintext), and the plain connection done with afterwards.
 */
import { once } from 'node:events'
import { type TLSSocket, connect as tlsConnect } from 'node:tls'
import {
  type Connection,
  connect,
  framed,
  lines,
  listen,
  pipe,
  ReadInUseError,
  type Server,
  SinkInUseError,
  SocketClosedError,
  startTls,
  TimeoutError,
  TlsError,
} from 'it-socket'
import { describe, expect, it } from 'vitest'
import { collectBytes, decoder, encoder } from '../helpers/bytes.js'
import { portOf, rawConnect } from '../helpers/net.js'
import { certs } from './helpers.js'

const serverTls = { isServer: true, ...certs.server } as const
const clientTls = { ca: certs.ca, servername: 'localhost' } as const

/** A plain server whose handler gets each connection; errors it reports are kept. */
async function plainServer(handler: (conn: Connection) => Promise<void>): Promise<{
  server: Server
  port: number
  errors: Error[]
  handled: Promise<void>[]
}> {
  const errors: Error[] = []
  const handled: Promise<void>[] = []
  const server = await listen({ host: '127.0.0.1', port: 0, onError: (err) => errors.push(err) })
  void server.serve((conn) => {
    const run = handler(conn)
    handled.push(run)
    return run
  })
  return { server, port: portOf(server), errors, handled }
}

/** Runs `test` against a plain server that upgrades each connection with startTls() (failures ignored). */
async function withUpgradingServer(test: (port: number) => Promise<void>): Promise<void> {
  const { server, port } = await plainServer(async (conn) => {
    await startTls(conn, serverTls).catch(() => undefined)
  })
  try {
    await test(port)
  } finally {
    await server.close()
  }
}

/** The server side of a line protocol with STARTTLS: greet, wait for STARTTLS, agree, upgrade, echo lines. */
async function smtpLikeServer(conn: Connection): Promise<void> {
  const f = framed(conn, lines())
  await f.write('220 ready')
  expect(await f.read()).toBe('STARTTLS')
  await f.write('220 go ahead')
  const secure = await startTls(f.unwrap(), serverTls)
  expect(secure.tls?.protocol).toMatch(/^TLSv1\.[23]$/)
  await pipe(
    secure,
    lines().decode,
    async function* (src) {
      for await (const line of src) yield `echo ${line}`
    },
    lines().encode,
    secure,
  )
}

describe('startTls()', () => {
  it('upgrades after a line-based greeting; both ends it-socket; lines echo over TLS', async () => {
    const { server, port, errors } = await plainServer(smtpLikeServer)
    try {
      const conn = await connect({ host: '127.0.0.1', port })
      const f = framed(conn, lines())
      expect(await f.read()).toBe('220 ready')
      expect(await f.request('STARTTLS')).toBe('220 go ahead')
      expect(conn.tls).toBeUndefined()
      const secure = await startTls(f.unwrap(), clientTls)
      expect(secure.tls?.servername).toBe('localhost')
      expect(secure.tls?.authorized).toBe(true)
      const s = framed(secure, lines())
      expect(await s.request('one')).toBe('echo one')
      expect(await s.request('two')).toBe('echo two')
      await s.sink([])
      expect(await s.read()).toBeUndefined()
      await secure.close()
      await conn.closed
      expect(errors).toEqual([])
    } finally {
      await server.close()
    }
  })

  it('hands the handshake the bytes that arrived with the STARTTLS line (read ahead by the codec)', async () => {
    // The client sends STARTTLS and its ClientHello without waiting for an answer; the server reads
    // only once both are there, so one chunk holds the line and the start of the handshake.
    let resolveRead: () => void = () => {}
    const readLate = new Promise<void>((resolve) => {
      resolveRead = resolve
    })
    const { server, port, errors, handled } = await plainServer(async (conn) => {
      await readLate
      const f = framed(conn, lines())
      expect(await f.read()).toBe('STARTTLS')
      const secure = await startTls(f.unwrap(), serverTls)
      await pipe(secure, secure)
    })
    try {
      const raw = await rawConnect(port)
      raw.write('STARTTLS\n')
      const tls = tlsConnect({ socket: raw, ...clientTls })
      // The ClientHello is written once the TLS socket starts: let it leave before the server reads.
      await new Promise((resolve) => setImmediate(resolve))
      await new Promise((resolve) => setTimeout(resolve, 50))
      resolveRead()
      await once(tls, 'secureConnect')
      const echoed = collectBytes(tls)
      tls.end(encoder.encode('after the upgrade'))
      expect(decoder.decode(await echoed)).toBe('after the upgrade')
      await Promise.all(handled)
      expect(errors).toEqual([])
    } finally {
      await server.close()
    }
  })

  it('hands the handshake the bytes that wait unread on the connection', async () => {
    // The server reads the STARTTLS line itself, then waits: the ClientHello arrives meanwhile and
    // waits in the socket, unread, until startTls() takes the connection.
    const { server, port, errors, handled } = await plainServer(async (conn) => {
      const f = framed(conn, lines())
      expect(await f.read()).toBe('STARTTLS')
      await new Promise((resolve) => setTimeout(resolve, 50))
      const secure = await startTls(f.unwrap(), serverTls)
      await pipe(secure, secure)
    })
    try {
      const raw = await rawConnect(port)
      raw.write('STARTTLS\n')
      const tls = tlsConnect({ socket: raw, ...clientTls })
      await once(tls, 'secureConnect')
      const echoed = collectBytes(tls)
      tls.end(encoder.encode('x'.repeat(100_000)))
      expect(decoder.decode(await echoed)).toBe('x'.repeat(100_000))
      await Promise.all(handled)
      expect(errors).toEqual([])
    } finally {
      await server.close()
    }
  })

  it('the accepting side may upgrade a connection it never framed (a node:tls client)', async () => {
    const { server, port, handled } = await plainServer(async (conn) => {
      const secure = await startTls(conn, serverTls)
      expect(secure.tls?.authorized).toBe(false) // no client certificate was asked for
      await pipe(secure, secure)
    })
    try {
      const raw = await rawConnect(port)
      const tls: TLSSocket = tlsConnect({ socket: raw, ...clientTls })
      await once(tls, 'secureConnect')
      const echoed = collectBytes(tls)
      tls.end(encoder.encode('hello'))
      expect(decoder.decode(await echoed)).toBe('hello')
      await Promise.all(handled)
    } finally {
      await server.close()
    }
  })

  it('the plain connection is done with: its reads and writes throw, its close() closes the TLS one', async () => {
    let plain: Connection | undefined
    const { server, port, handled } = await plainServer(async (conn) => {
      plain = conn
      const secure = await startTls(conn, serverTls)
      await expect(conn.sink([encoder.encode('plaintext')])).rejects.toThrow(/upgraded to TLS/)
      await expect(conn.source.next()).rejects.toBeInstanceOf(SocketClosedError)
      expect(conn.tls).toBeUndefined()
      expect(secure.tls).toBeDefined()
      // What serve() does when a handler settles: close the connection it was given.
      await conn.close()
    })
    try {
      const raw = await rawConnect(port)
      const tls = tlsConnect({ socket: raw, ...clientTls })
      await once(tls, 'secureConnect')
      const received = collectBytes(tls) // ends once the server's TLS side has ended
      expect((await received).length).toBe(0)
      tls.end()
      await Promise.all(handled)
      await plain?.closed
      expect(plain?.isClosed).toBe(true)
      expect(server.connections).toBe(0)
    } finally {
      await server.close()
    }
  })

  it('a server certificate that does not verify rejects with TlsError and closes the connection', async () => {
    await withUpgradingServer(async (port) => {
      const conn = await connect({ host: '127.0.0.1', port })
      const err = await startTls(conn, { servername: 'localhost' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TlsError)
      expect((err as TlsError).code).toBe('ERR_TLS')
      // The server sends no chain, and the test CA is not among Node.js's roots.
      expect((err as TlsError).reason).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
      expect((err as TlsError).message).toContain(`127.0.0.1:${port}`)
      await conn.closed
      expect(conn.isClosed).toBe(true)
    })
  })

  it('the certificate is checked against the peer address when no servername is given', async () => {
    await withUpgradingServer(async (port) => {
      // server.pem names 127.0.0.1 (an IP SAN): no SNI is sent, and the address is what counts.
      const ok = await startTls(await connect({ host: '127.0.0.1', port }), { ca: certs.ca })
      expect(ok.tls?.authorized).toBe(true)
      expect(ok.tls?.servername).toBeUndefined()
      await ok.close()
    })
  })

  it('a client that never starts the handshake times out on the accepting side', async () => {
    const { server, port, handled } = await plainServer(async (conn) => {
      const err = await startTls(conn, { ...serverTls, handshakeTimeout: 200 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as Error).message).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ timed out after 200 ms/)
    })
    try {
      const raw = await rawConnect(port)
      await Promise.all(handled)
      raw.destroy()
    } finally {
      await server.close()
    }
  })

  it('refuses a connection that cannot be upgraded, before touching it', async () => {
    const { server, port } = await plainServer(async (conn) => {
      await pipe(conn, conn)
    })
    try {
      // Bad options: TypeError, and the connection is still plain and usable.
      const conn = await connect({ host: '127.0.0.1', port })
      await expect(startTls(conn, { isServer: true } as never)).rejects.toThrow(TypeError)
      await expect(startTls(conn, { alpnProtocols: 'h2' } as never)).rejects.toThrow(/alpnProtocols/)
      await expect(startTls({} as never, clientTls)).rejects.toThrow(/conn must be a connection/)
      // A read waiting on its source.
      const iterator = conn.source[Symbol.asyncIterator]()
      const pending = iterator.next()
      await expect(startTls(conn, clientTls)).rejects.toBeInstanceOf(ReadInUseError)
      // Still plain and working: the echo answers.
      const f = conn.sink([encoder.encode('still plain')])
      expect(decoder.decode((await pending).value as Uint8Array)).toBe('still plain')
      await f
      // The sink has ended our side: nothing to upgrade.
      await expect(startTls(conn, clientTls)).rejects.toBeInstanceOf(SocketClosedError)
      await conn.close()
      await expect(startTls(conn, clientTls)).rejects.toBeInstanceOf(SocketClosedError)

      // A pipe still writing to it.
      const writing = await connect({ host: '127.0.0.1', port })
      let release: () => void = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      const sinking = writing.sink(
        (async function* () {
          yield encoder.encode('a')
          await held
        })(),
      )
      await expect(startTls(writing, clientTls)).rejects.toBeInstanceOf(SinkInUseError)
      release()
      await sinking
      await writing.close()
    } finally {
      await server.close()
    }
  })
})
