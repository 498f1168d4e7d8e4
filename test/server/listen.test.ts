import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  AbortError,
  AddressInUseError,
  ConnectionRefusedError,
  connect,
  HostNotFoundError,
  listen,
  pipe,
  SocketError,
} from 'it-socket'
import { describe, expect, it } from 'vitest'
import { portOf, tempDir } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'

/** A TCP port on 127.0.0.1 that was free a moment ago: bound with port 0, then let go. */
async function freePort(): Promise<number> {
  const probe = await listen({ host: '127.0.0.1' })
  const port = portOf(probe)
  await probe.close()
  return port
}

/** Asserts that nothing listens on 127.0.0.1:`port`. */
async function expectRefused(port: number): Promise<void> {
  const err = await connect({ host: '127.0.0.1', port }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ConnectionRefusedError)
  expect((err as ConnectionRefusedError).code).toBe('ERR_CONNECTION_REFUSED')
}

describe('listen()', () => {
  it('binds an ephemeral port with port 0 and reports it in address', async () => {
    await using server = await listen({ host: '127.0.0.1', port: 0 })
    expect(server.address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' })
    expect(portOf(server)).toBeGreaterThan(0)
  })

  it('fails with AddressInUseError naming the address when the port is taken', async () => {
    await using first = await listen({ host: '127.0.0.1' })
    const port = portOf(first)
    const err = await listen({ host: '127.0.0.1', port }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AddressInUseError)
    expect((err as AddressInUseError).code).toBe('ERR_ADDRESS_IN_USE')
    expect((err as Error).message).toBe(`Cannot listen on 127.0.0.1:${port}: address already in use`)
    expect((err as Error).cause).toMatchObject({ code: 'EADDRINUSE' })
  })

  it('replaces a stale Unix socket file nobody listens on', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, 'stale.sock')
      // A server that dies without unlinking its socket file leaves it behind: a child killed with
      // SIGKILL, which gets no chance to clean up.
      const dead = spawn(
        process.execPath,
        [
          '-e',
          `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      await once(dead.stdout, 'data')
      const exited = once(dead, 'exit')
      dead.kill('SIGKILL')
      await exited
      expect(statSync(path).isSocket()).toBe(true)
      await using server = await listen({ path })
      expect(server.address).toEqual({ path })
      void server.serve((conn) => pipe(conn, conn))
      await using conn = await connect({ path })
      expect(conn.isClosed).toBe(false)
    } finally {
      cleanup()
    }
  })

  it('fails with AddressInUseError on a Unix socket a live server answers on', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, 'live.sock')
      await using live = await listen({ path })
      const err = await listen({ path }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AddressInUseError)
      expect((err as Error).message).toContain(`unix:${path}`)
      expect(live.address).toEqual({ path })
    } finally {
      cleanup()
    }
  })

  it('never removes a regular file in the way of a Unix socket path', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, 'precious.txt')
      writeFileSync(path, 'keep me')
      const err = await listen({ path }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AddressInUseError)
      const { readFileSync } = await import('node:fs')
      expect(readFileSync(path, 'utf8')).toBe('keep me')
    } finally {
      cleanup()
    }
  })

  it('fails with AbortError when its signal has already fired, and closes when it fires later', async () => {
    await expect(listen({ host: '127.0.0.1', signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortError,
    )
    const controller = new AbortController()
    const server = await listen({ host: '127.0.0.1', signal: controller.signal })
    const loop = (async () => {
      let count = 0
      for await (const _ of server) count++
      return count
    })()
    controller.abort()
    expect(await loop).toBe(0)
    await expect(connect({ host: '127.0.0.1', port: portOf(server) })).rejects.toMatchObject({
      code: 'ERR_CONNECTION_REFUSED',
    })
  })

  it('rejects bad options with TypeError or RangeError', async () => {
    await expect(listen({ port: -1 })).rejects.toBeInstanceOf(RangeError)
    await expect(listen({ port: 65536 })).rejects.toBeInstanceOf(RangeError)
    await expect(listen({ maxConnections: 0 })).rejects.toBeInstanceOf(RangeError)
    await expect(listen({ maxPending: 1.5 })).rejects.toBeInstanceOf(RangeError)
    await expect(listen({ idleTimeout: Number.NaN })).rejects.toBeInstanceOf(RangeError)
    await expect(listen({ path: '/tmp/x.sock', port: 1 })).rejects.toBeInstanceOf(TypeError)
  })

  it.each([
    {
      options: { signal: {} },
      error: TypeError,
      message: 'listen(): signal must be an AbortSignal, got Object',
    },
    { options: { noDelay: 1 }, error: TypeError, message: 'listen(): noDelay must be a boolean, got 1' },
    {
      options: { keepAlive: 'on' },
      error: TypeError,
      message: 'listen(): keepAlive must be a boolean or a number of milliseconds, got string',
    },
    {
      options: { keepAlive: Number.NaN },
      error: RangeError,
      message: 'listen(): keepAlive must be a number of milliseconds from 0 to 2147483647, got NaN',
    },
    {
      options: { onError: 'log' },
      error: TypeError,
      message: 'listen(): onError must be a function, got string',
    },
  ])(
    'listen($options) rejects with $error.name naming the option and leaves the port unbound',
    async ({ options, error, message }) => {
      const port = await freePort()
      const err = await listen({ host: '127.0.0.1', port, ...options } as never).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(error)
      expect((err as Error).message).toBe(message)
      await expectRefused(port)
    },
  )

  it('listen() whose signal fires while binding rejects with AbortError and leaves the port unbound', async () => {
    const port = await freePort()
    const controller = new AbortController()
    const listening = listen({ host: '127.0.0.1', port, signal: controller.signal })
    const reason = new Error('shutting down')
    controller.abort(reason)
    const err = await listening.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).code).toBe('ERR_ABORTED')
    expect((err as Error).cause).toBe(reason)
    await expectRefused(port)
  })

  it('listen() on a host name that does not resolve fails with HostNotFoundError naming it', async () => {
    const err = await listen({ host: 'nosuchhost.invalid', port: 0 }).catch((e: unknown) => e)
    if (deviates('bun-listen-host-not-found')) {
      // Bun's error has no code to tell a host that does not resolve from any other failure.
      expect(err).toBeInstanceOf(SocketError)
      expect((err as Error).cause).toMatchObject({ message: 'Failed to listen at nosuchhost.invalid' })
      expect(((err as Error).cause as NodeJS.ErrnoException).code).toBeUndefined()
      return
    }
    expect(err).toBeInstanceOf(HostNotFoundError)
    expect((err as HostNotFoundError).code).toBe('ERR_HOST_NOT_FOUND')
    const cause = (err as Error).cause as NodeJS.ErrnoException
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(cause.code)
    expect((err as Error).message).toBe(
      `Cannot listen on nosuchhost.invalid:0: host not found (${cause.code})`,
    )
  })
})
