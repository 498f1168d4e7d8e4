import { join } from 'node:path'
import {
  AbortError,
  ConnectionRefusedError,
  connect,
  HostNotFoundError,
  listen,
  TimeoutError,
} from 'it-socket'
import { describe, expect, it } from 'vitest'
import { collectBytes, decoder, encoder } from '../helpers/bytes.js'
import { portOf, rawConnect, recordingServer, tempDir } from '../helpers/net.js'
import { unacceptingListener } from '../helpers/spawn.js'

/** A port nobody listens on: bind one, then let it go. */
async function closedPort(): Promise<number> {
  const server = await listen({ host: '127.0.0.1' })
  const port = portOf(server)
  await server.close()
  return port
}

describe('connect()', () => {
  it('fails with ConnectionRefusedError naming the address when nobody listens', async () => {
    const port = await closedPort()
    const err = await connect({ host: '127.0.0.1', port }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionRefusedError)
    expect((err as ConnectionRefusedError).code).toBe('ERR_CONNECTION_REFUSED')
    expect((err as Error).message).toBe(`Connection refused by 127.0.0.1:${port}: nobody is listening there`)
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' })
  })

  it('fails with TimeoutError after `timeout` ms when the connection cannot be established', async () => {
    const listener = await unacceptingListener()
    try {
      const err = await connect({ host: '127.0.0.1', port: listener.port, timeout: 100 }).catch(
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(TimeoutError)
      expect((err as TimeoutError).code).toBe('ERR_TIMEOUT')
      expect((err as Error).message).toBe(`Connect to 127.0.0.1:${listener.port} timed out after 100 ms`)
    } finally {
      await listener.close()
    }
  })

  it('fails with AbortError when its signal fires during the attempt', async () => {
    const listener = await unacceptingListener()
    try {
      const controller = new AbortController()
      const attempt = connect({ host: '127.0.0.1', port: listener.port, signal: controller.signal })
      const reason = new Error('user gave up')
      controller.abort(reason)
      const err = await attempt.catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AbortError)
      expect((err as AbortError).code).toBe('ERR_ABORTED')
      expect((err as Error).cause).toBe(reason)
    } finally {
      await listener.close()
    }
  })

  it('fails with AbortError at once when its signal has already fired', async () => {
    const err = await connect({ port: 9, signal: AbortSignal.abort() }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
  })

  it('connects over IPv6 loopback', async () => {
    await using server = await listen({ host: '::1' })
    expect(server.address).toMatchObject({ address: '::1', family: 'IPv6' })
    void server.serve(async (conn) => {
      await conn.sink([encoder.encode('over v6')])
    })
    await using conn = await connect({ host: '::1', port: portOf(server), family: 6 })
    expect(conn.remoteAddress).toMatchObject({ address: '::1', family: 'IPv6' })
    expect(decoder.decode(await collectBytes(conn.source))).toBe('over v6')
  })

  it('connects to a Unix socket by path', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, 'echo.sock')
      await using server = await listen({ path })
      expect(server.address).toEqual({ path })
      void server.serve(async (conn) => {
        await conn.sink([encoder.encode('over unix')])
      })
      await using conn = await connect({ path })
      expect(conn.remoteAddress).toEqual({ path })
      expect(decoder.decode(await collectBytes(conn.source))).toBe('over unix')
    } finally {
      cleanup()
    }
  })

  it('fails with ConnectionRefusedError when the Unix socket file does not exist', async () => {
    const err = await connect({ path: '/nonexistent/it-socket.sock' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConnectionRefusedError)
    expect((err as Error).message).toContain('unix:/nonexistent/it-socket.sock')
  })

  it('rejects bad arguments with TypeError or RangeError before any I/O', async () => {
    await expect(connect({ port: 0 })).rejects.toBeInstanceOf(RangeError)
    await expect(connect({ port: 70000 })).rejects.toBeInstanceOf(RangeError)
    await expect(connect({ port: 1.5 })).rejects.toBeInstanceOf(RangeError)
    await expect(connect({ port: 80, timeout: -1 })).rejects.toBeInstanceOf(RangeError)
    await expect(connect({ port: 80, host: '' })).rejects.toBeInstanceOf(TypeError)
    await expect(connect({ path: '' })).rejects.toBeInstanceOf(TypeError)
    // @ts-expect-error: path and port together are refused by the types too
    await expect(connect({ path: '/tmp/x.sock', port: 80 })).rejects.toBeInstanceOf(TypeError)
  })

  it.each([
    {
      options: { signal: {} },
      error: TypeError,
      message: 'connect(): signal must be an AbortSignal, got Object',
    },
    {
      options: { noDelay: 'yes' },
      error: TypeError,
      message: 'connect(): noDelay must be a boolean, got string',
    },
    {
      options: { keepAlive: 'yes' },
      error: TypeError,
      message: 'connect(): keepAlive must be a boolean or a number of milliseconds, got string',
    },
    {
      options: { keepAlive: -1 },
      error: RangeError,
      message: 'connect(): keepAlive must be a number of milliseconds from 0 to 2147483647, got -1',
    },
    { options: { family: 5 }, error: TypeError, message: 'connect(): family must be 4 or 6, got 5' },
    {
      options: { timeout: '10' },
      error: RangeError,
      message: 'connect(): timeout must be a number of milliseconds from 0 to 2147483647, got string',
    },
    {
      // Node.js would fire a longer timer after 1 ms: the connect would fail at once.
      options: { timeout: 2 ** 31 },
      error: RangeError,
      message: 'connect(): timeout must be a number of milliseconds from 0 to 2147483647, got 2147483648',
    },
    {
      options: { idleTimeout: 2 ** 31 },
      error: RangeError,
      message: 'connect(): idleTimeout must be a number of milliseconds from 0 to 2147483647, got 2147483648',
    },
  ])(
    'connect($options) rejects with $error.name naming the option before any socket is made',
    async ({ options, error, message }) => {
      const server = await recordingServer()
      try {
        const err = await connect({ host: '127.0.0.1', port: server.port, ...options } as never).catch(
          (e: unknown) => e,
        )
        expect(err).toBeInstanceOf(error)
        expect((err as Error).message).toBe(message)
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

  it('connect() with an aborted signal and a Unix path rejects with AbortError', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const reason = new Error('gave up')
      const err = await connect({ path: join(dir, 'never.sock'), signal: AbortSignal.abort(reason) }).catch(
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(AbortError)
      expect((err as AbortError).code).toBe('ERR_ABORTED')
      expect((err as Error).cause).toBe(reason)
    } finally {
      cleanup()
    }
  })

  it('connect() with timeout 0 means no limit: 100 connections to a live server all succeed', async () => {
    await using server = await listen({ host: '127.0.0.1' })
    void server.serve(() => {})
    let connected = 0
    for (let i = 0; i < 100; i++) {
      const conn = await connect({ host: '127.0.0.1', port: portOf(server), timeout: 0 })
      connected++
      await conn.close()
    }
    expect(connected).toBe(100)
  })

  it('connect() to a host name that does not resolve fails with HostNotFoundError naming it', async () => {
    // RFC 2606: .invalid never resolves; without a network the resolver may answer EAI_AGAIN instead.
    const err = await connect({ host: 'nosuchhost.invalid', port: 80 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HostNotFoundError)
    expect((err as HostNotFoundError).code).toBe('ERR_HOST_NOT_FOUND')
    const cause = (err as Error).cause as NodeJS.ErrnoException
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(cause.code)
    expect((err as Error).message).toBe(
      `Cannot connect to nosuchhost.invalid:80: host not found (${cause.code})`,
    )
  })
})
