import { getEventListeners } from 'node:events'
import { createServer, type Server as NetServer, connect as netConnect, type Socket } from 'node:net'
import { AbortError, TimeoutError } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../../src/socket/wait-for.js'

/** Every server and socket a test makes, closed after it. */
const servers: NetServer[] = []
const sockets: Socket[] = []

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(
    servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  )
})

/** A server listening on 127.0.0.1 that nobody connects to: its 'connection' never comes by itself. */
async function idleServer(): Promise<NetServer> {
  const server = createServer()
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await waitFor(server, { event: 'listening' })
  return server
}

function portOf(server: NetServer): number {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('not a TCP server')
  return address.port
}

/** A port nobody listens on: bound, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await waitFor(server, { event: 'listening' })
  const port = portOf(server)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

function dial(port: number): Socket {
  const socket = netConnect({ port, host: '127.0.0.1' })
  sockets.push(socket)
  return socket
}

/** Asserts that `waitFor` left no listener of its own behind. */
function expectNoListeners(emitter: NetServer | Socket, event: string, signal?: AbortSignal): void {
  expect(emitter.listenerCount(event)).toBe(0)
  expect(emitter.listenerCount('error')).toBe(0)
  if (signal !== undefined) expect(getEventListeners(signal, 'abort')).toHaveLength(0)
}

describe('waitFor()', () => {
  it('waitFor() resolves on the event and removes every listener it added', async () => {
    const controller = new AbortController()
    const server = createServer()
    servers.push(server)
    server.listen(0, '127.0.0.1')
    const listening = waitFor(server, {
      event: 'listening',
      timeout: 10_000,
      onTimeout: () => new TimeoutError('too slow'),
      signal: controller.signal,
      onAbort: (reason) => new AbortError('aborted', { cause: reason }),
    })
    expect(server.listenerCount('listening')).toBe(1)
    expect(server.listenerCount('error')).toBe(1)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    await expect(listening).resolves.toBeUndefined()
    expectNoListeners(server, 'listening', controller.signal)
    // The signal firing afterwards changes nothing.
    controller.abort()
  })

  it("waitFor() rejects with the emitter's 'error' as emitted, and removes its listeners", async () => {
    const socket = dial(await closedPort())
    const err = await waitFor(socket, { event: 'connect' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ECONNREFUSED' })
    expectNoListeners(socket, 'connect')
  })

  it("waitFor() rejects with what onError makes of the 'error'", async () => {
    const socket = dial(await closedPort())
    const err = await waitFor(socket, {
      event: 'connect',
      onError: (cause) => new Error('translated', { cause }),
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toBe('translated')
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' })
    expectNoListeners(socket, 'connect')
  })

  it('waitFor() rejects with onTimeout() once `timeout` ms passed, and removes its listeners', async () => {
    const server = await idleServer()
    const timedOut = new TimeoutError('no connection within 20 ms')
    const err = await waitFor(server, { event: 'connection', timeout: 20, onTimeout: () => timedOut }).catch(
      (e: unknown) => e,
    )
    expect(err).toBe(timedOut)
    expectNoListeners(server, 'connection')
  })

  it('waitFor() with timeout 0 waits without limit', async () => {
    const server = await idleServer()
    const connection = waitFor(server, {
      event: 'connection',
      timeout: 0,
      onTimeout: () => new TimeoutError('a 0 ms timer fired'),
    })
    dial(portOf(server))
    await expect(connection).resolves.toBeUndefined()
    expectNoListeners(server, 'connection')
  })

  it('waitFor() rejects with onAbort(reason) when the signal fires, and removes its listeners', async () => {
    const server = await idleServer()
    const controller = new AbortController()
    const waiting = waitFor(server, {
      event: 'connection',
      signal: controller.signal,
      onAbort: (cause) => new AbortError('gave up waiting', { cause }),
    })
    const reason = new Error('user gave up')
    controller.abort(reason)
    const err = await waiting.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect(err).toMatchObject({ code: 'ERR_ABORTED', message: 'gave up waiting', cause: reason })
    expectNoListeners(server, 'connection', controller.signal)
  })

  it('waitFor() with a signal that already fired rejects at once and adds no listener', async () => {
    const server = await idleServer()
    const reason = new Error('too late')
    const signal = AbortSignal.abort(reason)
    const waiting = waitFor(server, {
      event: 'connection',
      timeout: 10_000,
      onTimeout: () => new TimeoutError('too slow'),
      signal,
      onAbort: (cause) => new AbortError('aborted before the wait', { cause }),
    })
    expectNoListeners(server, 'connection', signal)
    const err = await waiting.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AbortError)
    expect(err).toMatchObject({ message: 'aborted before the wait', cause: reason })
  })

  it('waitFor() leaves listeners others added in place, whatever the outcome', async () => {
    const socket = dial(await closedPort())
    const theirs = (): void => {}
    socket.on('error', theirs)
    socket.on('connect', theirs)
    await expect(waitFor(socket, { event: 'connect' })).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect(socket.listeners('error')).toEqual([theirs])
    expect(socket.listeners('connect')).toEqual([theirs])
  })
})
