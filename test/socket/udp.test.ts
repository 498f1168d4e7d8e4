import {
  AbortError,
  AddressInUseError,
  ConnectionRefusedError,
  type Datagram,
  type DatagramConnection,
  type DatagramSocket,
  DatagramTooLargeError,
  HostNotFoundError,
  type OutgoingDatagram,
  pipe,
  SinkInUseError,
  SocketClosedError,
  udp,
} from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { decoder, encoder, pseudoRandomBytes } from '../helpers/bytes.js'
import { until } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'

/** Every socket a test opens, closed after it. */
const open: Array<DatagramSocket | DatagramConnection> = []

function track<T extends DatagramSocket | DatagramConnection>(sock: T): T {
  open.push(sock)
  return sock
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((sock) => sock.close()))
})

const families = [
  { family: 'IPv4', host: '127.0.0.1' },
  { family: 'IPv6', host: '::1' },
] as const

/** A bound socket on `host` echoing every datagram to its sender; `echoing` settles when it stops. */
async function echoServer(host = '127.0.0.1'): Promise<{ server: DatagramSocket; echoing: Promise<void> }> {
  const server = track(await udp.bind({ host }))
  return { server, echoing: pipe(server.source, server.sink) }
}

/** The next item of `source`, without leaving it (a `for await` with `break` would). */
async function next<T>(source: AsyncGenerator<T, void, unknown>): Promise<T> {
  const result = await source.next()
  if (result.done === true) throw new Error('source ended')
  return result.value
}

/** A port nobody listens on: bound, then closed again. */
async function closedPort(host = '127.0.0.1'): Promise<number> {
  const probe = await udp.bind({ host })
  const port = probe.address.port
  await probe.close()
  return port
}

/** Rejection reason of `promise`, or a failure if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (err: unknown) => err,
  )
}

describe('udp.bind()', () => {
  it.each(families)('pipe(sock.source, sock.sink) is an echo server over $family', async ({ host }) => {
    const { server, echoing } = await echoServer(host)
    const client = track(await udp.connect({ host, port: server.address.port }))
    await pipe(
      ['ping', 'pong'].map((text) => encoder.encode(text)),
      client,
    )
    const replies = [decoder.decode(await next(client.source)), decoder.decode(await next(client.source))]
    // Deno emits a burst of datagrams out of order (deno-udp-burst-reordered, docs/RUNTIMES.md).
    expect(deviates('deno-udp-burst-reordered') ? replies.sort() : replies).toEqual(['ping', 'pong'])
    await server.close()
    await expect(echoing).resolves.toBeUndefined()
  })

  it.each(families)(
    'DatagramSocket.source keeps boundaries of 0, 1, 1,400 and 60,000-byte datagrams over $family',
    async ({ family, host }) => {
      const { server } = await echoServer(host)
      const client = track(await udp.bind({ host }))
      const sizes = [0, 1, 1_400, 60_000]
      const payloads = sizes.map((size, i) => pseudoRandomBytes(size, i + 1))
      await client.sink(payloads.map((data) => ({ data, address: host, port: server.address.port })))
      const received: Datagram[] = []
      for (const _ of sizes) received.push(await next(client.source))
      // Deno emits a burst of datagrams out of order (deno-udp-burst-reordered): by size, as sent.
      if (deviates('deno-udp-burst-reordered')) received.sort((a, b) => a.data.byteLength - b.data.byteLength)
      expect(received.map((d) => d.data.byteLength)).toEqual(sizes)
      for (const [i, datagram] of received.entries()) {
        expect(Buffer.from(datagram.data).equals(Buffer.from(payloads[i] as Uint8Array))).toBe(true)
        expect(datagram).toMatchObject({ address: host, port: server.address.port, family })
      }
    },
  )

  it('DatagramSocket.address reports the ephemeral port picked for port 0', async () => {
    const sock = track(await udp.bind({ host: '127.0.0.1' }))
    expect(sock.address).toMatchObject({ address: '127.0.0.1', family: 'IPv4' })
    expect(sock.address.port).toBeGreaterThan(0)
  })

  it('DatagramSocket.sink answers many peers at their own addresses', async () => {
    const { server } = await echoServer()
    const peers = await Promise.all(
      Array.from({ length: 20 }, () =>
        udp.connect({ host: '127.0.0.1', port: server.address.port }).then(track),
      ),
    )
    await Promise.all(peers.map((peer, i) => peer.sink([encoder.encode(`peer ${i}`)])))
    const replies = await Promise.all(peers.map(async (peer) => decoder.decode(await next(peer.source))))
    expect(replies).toEqual(peers.map((_, i) => `peer ${i}`))
    expect(new Set(peers.map((peer) => peer.localAddress.port)).size).toBe(peers.length)
  })

  it('DatagramSocket drops and counts datagrams past queueSize while nobody pulls', async () => {
    const queueSize = 256
    const sent = 100_000
    const receiver = track(await udp.bind({ host: '127.0.0.1', queueSize }))
    const sender = track(await udp.bind({ host: '127.0.0.1' }))
    let maxQueued = 0
    const item: OutgoingDatagram = { data: encoder.encode('sixteen bytes!!!'), address: '127.0.0.1', port: 0 }
    item.port = receiver.address.port
    async function* flood(): AsyncGenerator<OutgoingDatagram> {
      for (let i = 0; i < sent; i++) {
        if (i % 100 === 0) {
          // Let the receiver's socket be read, so datagrams reach our queue instead of dying in the kernel.
          await new Promise((resolve) => setImmediate(resolve))
          maxQueued = Math.max(maxQueued, receiver.queued)
        }
        yield item
      }
    }
    await sender.sink(flood())
    await until(() => receiver.dropped > 0, 10_000, 'datagrams to be dropped')
    maxQueued = Math.max(maxQueued, receiver.queued)

    expect(maxQueued).toBeLessThanOrEqual(queueSize)
    expect(receiver.queued).toBe(queueSize)
    const queued = receiver.queued
    for (let i = 0; i < queued; i++) {
      const datagram = await next(receiver.source)
      expect(datagram.data.byteLength).toBe(16)
      expect(datagram.port).toBe(sender.address.port)
    }
    expect(receiver.queued).toBe(0)
    expect(receiver.dropped).toBeGreaterThan(0)
    expect(queued + receiver.dropped).toBeLessThanOrEqual(sent)
  })

  it('DatagramSocket.dropped counts datagrams arriving after the source was left early', async () => {
    const receiver = track(await udp.bind({ host: '127.0.0.1' }))
    const sender = track(await udp.connect({ host: '127.0.0.1', port: receiver.address.port }))
    await sender.sink([encoder.encode('first')])
    for await (const datagram of receiver.source) {
      expect(decoder.decode(datagram.data)).toBe('first')
      break
    }
    await sender.sink(['second', 'third'].map((text) => encoder.encode(text)))
    await until(() => receiver.dropped === 2, 5_000, 'two dropped datagrams')
    expect(receiver.queued).toBe(0)
  })

  it.each([
    { type: 'udp4', host: '127.0.0.1', max: 65_507 },
    { type: 'udp6', host: '::1', max: 65_527 },
  ] as const)(
    'DatagramSocket.sink fails with DatagramTooLargeError naming the size past $max bytes ($type)',
    async ({ host, max }) => {
      const receiver = track(await udp.bind({ host }))
      const sender = track(await udp.bind({ host }))
      const port = receiver.address.port
      // The largest datagram goes through whole…
      await sender.sink([{ data: pseudoRandomBytes(max), address: host, port }])
      expect((await next(receiver.source)).data.byteLength).toBe(max)
      // …one byte more fails before it is sent.
      const err = await rejection(sender.sink([{ data: new Uint8Array(max + 1), address: host, port }]))
      expect(err).toBeInstanceOf(DatagramTooLargeError)
      expect(err).toMatchObject({ code: 'ERR_DATAGRAM_TOO_LARGE' })
      expect((err as Error).message).toContain(`${max + 1}-byte datagram`)
      expect((err as Error).message).toContain(String(max))
    },
  )

  it('DatagramSocket.sink fails with DatagramTooLargeError naming the size on OS EMSGSIZE', async () => {
    const receiver = track(await udp.bind({ host: '127.0.0.1' }))
    // A udp6 socket may carry 65,527 bytes, but not to an IPv4-mapped address: the kernel refuses.
    const sender = track(await udp.bind({ host: '::', type: 'udp6' }))
    const err = await rejection(
      sender.sink([
        { data: new Uint8Array(65_520), address: '::ffff:127.0.0.1', port: receiver.address.port },
      ]),
    )
    expect(err).toBeInstanceOf(DatagramTooLargeError)
    expect(err).toMatchObject({ code: 'ERR_DATAGRAM_TOO_LARGE', cause: { code: 'EMSGSIZE' } })
    expect((err as Error).message).toContain('65520-byte datagram')
  })

  it('DatagramSocket.sink keeps the socket open after a failed call, and may be called again', async () => {
    const { server } = await echoServer()
    const client = track(await udp.bind({ host: '127.0.0.1' }))
    const port = server.address.port
    await expect(client.sink([{ data: new Uint8Array(70_000), address: '127.0.0.1', port }])).rejects.toThrow(
      DatagramTooLargeError,
    )
    await client.sink([{ data: encoder.encode('still here'), address: '127.0.0.1', port }])
    expect(decoder.decode((await next(client.source)).data)).toBe('still here')
    expect(client.isClosed).toBe(false)
  })

  it('DatagramSocket.sink rejects a call made while another is sending with SinkInUseError', async () => {
    const sock = track(await udp.bind({ host: '127.0.0.1' }))
    let release: () => void = () => {}
    async function* held(): AsyncGenerator<OutgoingDatagram> {
      await new Promise<void>((resolve) => {
        release = resolve
      })
    }
    const first = sock.sink(held())
    const err = await rejection(sock.sink([]))
    expect(err).toBeInstanceOf(SinkInUseError)
    expect(err).toMatchObject({ code: 'ERR_SINK_IN_USE' })
    release()
    await expect(first).resolves.toBeUndefined()
  })

  it.each([
    { item: { data: 'text', address: '127.0.0.1', port: 9 }, error: TypeError, what: 'a string data' },
    { item: { data: [1, 2], address: '127.0.0.1', port: 9 }, error: TypeError, what: 'an array data' },
    { item: { data: new Uint8Array(1), address: '', port: 9 }, error: TypeError, what: 'an empty address' },
    { item: { data: new Uint8Array(1), port: 9 }, error: TypeError, what: 'a missing address' },
    { item: { data: new Uint8Array(1), address: '127.0.0.1', port: 0 }, error: RangeError, what: 'port 0' },
    {
      item: { data: new Uint8Array(1), address: '127.0.0.1', port: 70_000 },
      error: RangeError,
      what: 'port 70000',
    },
    { item: null, error: TypeError, what: 'null' },
  ])('DatagramSocket.sink rejects $what with $error.name', async ({ item, error }) => {
    const sock = track(await udp.bind({ host: '127.0.0.1' }))
    await expect(sock.sink([item as unknown as OutgoingDatagram])).rejects.toThrow(error)
  })

  it('DatagramSocket.close() while a read is pending ends the source', async () => {
    const sock = track(await udp.bind({ host: '127.0.0.1' }))
    const pending = sock.source.next()
    await sock.close()
    await expect(pending).resolves.toEqual({ done: true, value: undefined })
    expect(sock.isClosed).toBe(true)
  })

  it('DatagramSocket.close() is idempotent', async () => {
    const sock = track(await udp.bind({ host: '127.0.0.1' }))
    const first = sock.close()
    const second = sock.close()
    await Promise.all([first, second])
    await expect(sock.close()).resolves.toBeUndefined()
    expect(sock.isClosed).toBe(true)
  })

  it('DatagramSocket.close() drops queued datagrams and counts them', async () => {
    const receiver = track(await udp.bind({ host: '127.0.0.1' }))
    const sender = track(await udp.connect({ host: '127.0.0.1', port: receiver.address.port }))
    await sender.sink(['a', 'b', 'c'].map((text) => encoder.encode(text)))
    await until(() => receiver.queued === 3, 5_000, 'three queued datagrams')
    await receiver.close()
    expect(receiver.queued).toBe(0)
    expect(receiver.dropped).toBe(3)
  })

  it('DatagramSocket used after close() rejects with SocketClosedError', async () => {
    const sock = track(await udp.bind({ host: '127.0.0.1' }))
    await sock.close()
    const sinkErr = await rejection(sock.sink([{ data: new Uint8Array(1), address: '127.0.0.1', port: 9 }]))
    expect(sinkErr).toBeInstanceOf(SocketClosedError)
    expect(sinkErr).toMatchObject({ code: 'ERR_SOCKET_CLOSED' })
    await expect(sock.source.next()).rejects.toThrow(SocketClosedError)
  })

  it('DatagramSocket.sink still sending when close() is called rejects with SocketClosedError', async () => {
    const sock = track(await udp.bind({ host: '127.0.0.1' }))
    const target = track(await udp.bind({ host: '127.0.0.1' }))
    let closing: Promise<void> | undefined
    async function* items(): AsyncGenerator<OutgoingDatagram> {
      yield { data: encoder.encode('before'), address: '127.0.0.1', port: target.address.port }
      closing = sock.close()
      yield { data: encoder.encode('after'), address: '127.0.0.1', port: target.address.port }
    }
    await expect(sock.sink(items())).rejects.toThrow(SocketClosedError)
    await closing
    expect(decoder.decode((await next(target.source)).data)).toBe('before')
  })

  it('udp.bind() signal aborts the socket: a pending read rejects with AbortError', async () => {
    const controller = new AbortController()
    const sock = track(await udp.bind({ host: '127.0.0.1', signal: controller.signal }))
    const pending = sock.source.next()
    controller.abort()
    const err = await rejection(pending)
    expect(err).toBeInstanceOf(AbortError)
    expect(err).toMatchObject({ code: 'ERR_ABORTED' })
    await expect(sock.sink([])).rejects.toThrow(AbortError)
    await until(() => sock.isClosed, 5_000, 'the socket to close')
  })

  it('udp.bind() with an aborted signal rejects with AbortError', async () => {
    const err = await rejection(udp.bind({ host: '127.0.0.1', signal: AbortSignal.abort() }))
    expect(err).toBeInstanceOf(AbortError)
    expect(err).toMatchObject({ code: 'ERR_ABORTED' })
  })

  it('DatagramSocket.abort() makes the echo pipe reject with the given error', async () => {
    const { server, echoing } = await echoServer()
    const boom = new Error('boom')
    server.abort(boom)
    await expect(echoing).rejects.toBe(boom)
  })

  it('udp.bind() on a port already bound fails with AddressInUseError', async () => {
    const first = track(await udp.bind({ host: '127.0.0.1' }))
    const err = await rejection(udp.bind({ host: '127.0.0.1', port: first.address.port }))
    expect(err).toBeInstanceOf(AddressInUseError)
    expect(err).toMatchObject({ code: 'ERR_ADDRESS_IN_USE', cause: { code: 'EADDRINUSE' } })
    expect((err as Error).message).toBe(
      `Cannot bind to 127.0.0.1:${first.address.port}: address already in use`,
    )
  })

  it('udp.bind() with reuseAddr lets two sockets bind one port', async () => {
    const first = track(await udp.bind({ host: '127.0.0.1', reuseAddr: true }))
    const second = track(await udp.bind({ host: '127.0.0.1', port: first.address.port, reuseAddr: true }))
    expect(second.address.port).toBe(first.address.port)
  })

  it.each([
    { item: encoder.encode('hello'), type: 'Uint8Array' },
    { item: 'hello', type: 'string' },
  ])(
    'DatagramSocket.sink given bare bytes ($type) rejects with TypeError pointing to udp.connect()',
    async ({ item, type }) => {
      const sock = track(await udp.bind({ host: '127.0.0.1' }))
      const err = await rejection(sock.sink([item as never]))
      expect(err).toBeInstanceOf(TypeError)
      expect((err as Error).message).toBe(
        `DatagramSocket.sink(): got ${type}, but each item must be a ` +
          "datagram { data, address, port }: an unconnected socket needs each datagram's destination " +
          '(for a socket whose sink takes bare bytes for one peer, use udp.connect())',
      )
    },
  )

  it('DatagramSocket.sink to a host name that does not resolve fails with HostNotFoundError', async () => {
    const sock = track(await udp.bind({ host: '127.0.0.1' }))
    const datagram = { data: encoder.encode('hi'), address: 'nosuchhost.invalid', port: 9 }
    const err = await rejection(sock.sink([datagram]))
    expect(err).toBeInstanceOf(HostNotFoundError)
    expect(err).toMatchObject({ code: 'ERR_HOST_NOT_FOUND' })
    const cause = (err as Error).cause as NodeJS.ErrnoException
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(cause.code)
    expect((err as Error).message).toBe(`Cannot send to nosuchhost.invalid: host not found (${cause.code})`)
  })

  it('udp.bind() on a host name that does not resolve fails with HostNotFoundError naming it', async () => {
    const err = await rejection(udp.bind({ host: 'nosuchhost.invalid' }))
    expect(err).toBeInstanceOf(HostNotFoundError)
    expect(err).toMatchObject({ code: 'ERR_HOST_NOT_FOUND' })
    const cause = (err as Error).cause as NodeJS.ErrnoException
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(cause.code)
    expect((err as Error).message).toBe(`Cannot bind to nosuchhost.invalid:0: host not found (${cause.code})`)
  })

  it('DatagramSocket [Symbol.asyncDispose] closes the socket', async () => {
    let sock: DatagramSocket | undefined
    {
      await using bound = await udp.bind({ host: '127.0.0.1' })
      sock = bound
      expect(sock.isClosed).toBe(false)
    }
    expect(sock.isClosed).toBe(true)
  })

  it.each([
    { options: null, error: TypeError },
    { options: { port: -1 }, error: RangeError },
    { options: { port: 1.5 }, error: RangeError },
    { options: { port: 65_536 }, error: RangeError },
    { options: { port: '80' }, error: RangeError },
    { options: { host: '' }, error: TypeError },
    { options: { type: 'udp5' }, error: TypeError },
    { options: { host: '::1', type: 'udp4' }, error: TypeError },
    { options: { host: '127.0.0.1', type: 'udp6' }, error: TypeError },
    { options: { queueSize: 0 }, error: RangeError },
    { options: { queueSize: Number.POSITIVE_INFINITY }, error: RangeError },
    { options: { queueSize: 2.5 }, error: RangeError },
    { options: { reuseAddr: 'yes' }, error: TypeError },
    { options: { signal: {} }, error: TypeError },
  ])('udp.bind($options) rejects with $error.name', async ({ options, error }) => {
    await expect(udp.bind(options as never)).rejects.toThrow(error)
  })
})

describe('udp.connect()', () => {
  it('DatagramConnection: pipe(messages, conn) sends, for await (conn.source) reads', async () => {
    const { server } = await echoServer()
    const conn = track(await udp.connect({ host: '127.0.0.1', port: server.address.port }))
    expect(conn.remoteAddress).toEqual({ address: '127.0.0.1', port: server.address.port, family: 'IPv4' })
    const messages = ['one', 'two', 'three']
    await pipe(
      messages.map((text) => encoder.encode(text)),
      conn,
    )
    const replies: string[] = []
    for await (const message of conn.source) {
      replies.push(decoder.decode(message))
      if (replies.length === messages.length) break
    }
    // Deno emits a burst of datagrams out of order (deno-udp-burst-reordered, docs/RUNTIMES.md).
    if (deviates('deno-udp-burst-reordered')) expect(replies.sort()).toEqual(messages.sort())
    else expect(replies).toEqual(messages)
  })

  it('DatagramConnection to a closed port fails with ConnectionRefusedError on read and send', async () => {
    const port = await closedPort()
    const conn = track(await udp.connect({ host: '127.0.0.1', port }))
    if (deviates('deno-udp-no-port-unreachable')) {
      // Deno never reports the ICMP "port unreachable": sends succeed and a read just waits.
      await conn.sink([encoder.encode('anyone there?')])
      const read = conn.source.next().then(
        () => 'read',
        () => 'failed',
      )
      const waited = new Promise((resolve) => setTimeout(() => resolve('waiting'), 500))
      expect(await Promise.race([read, waited])).toBe('waiting')
      await conn.sink([encoder.encode('again')])
      expect(conn.isClosed).toBe(false)
      return
    }
    // Sending succeeds locally; the ICMP "port unreachable" it provokes arrives just after.
    const [first] = await Promise.allSettled([conn.sink([encoder.encode('anyone there?')])])
    if (first.status === 'rejected') expect(first.reason).toBeInstanceOf(ConnectionRefusedError)
    const readErr = await rejection(conn.source.next())
    expect(readErr).toBeInstanceOf(ConnectionRefusedError)
    expect(readErr).toMatchObject({ code: 'ERR_CONNECTION_REFUSED', cause: { code: 'ECONNREFUSED' } })
    // The UDP wording: no connection was refused, an ICMP "port unreachable" came back.
    expect((readErr as Error).message).toBe(
      `Port unreachable at UDP connection with 127.0.0.1:${port}: nobody is listening there (ICMP, ECONNREFUSED)`,
    )
    await expect(conn.sink([encoder.encode('again')])).rejects.toThrow(ConnectionRefusedError)
    await until(() => conn.isClosed, 5_000, 'the socket to close')
  })

  it.each([
    { message: 'text', type: 'string' },
    { message: new Uint16Array([1, 2]), type: 'Uint16Array' },
    { message: new Uint8Array(4).buffer, type: 'ArrayBuffer' },
  ])(
    'DatagramConnection.sink rejects a $type message with TypeError naming its type',
    async ({ message, type }) => {
      const conn = track(await udp.connect({ host: '127.0.0.1', port: await closedPort() }))
      const err = await rejection(conn.sink([message as never]))
      expect(err).toBeInstanceOf(TypeError)
      expect((err as Error).message).toBe(
        `DatagramConnection.sink(): each message must be a Uint8Array, got ${type}`,
      )
    },
  )

  it('udp.connect() to a host name that does not resolve fails with HostNotFoundError naming it', async () => {
    const err = await rejection(udp.connect({ host: 'nosuchhost.invalid', port: 9 }))
    expect(err).toBeInstanceOf(HostNotFoundError)
    expect(err).toMatchObject({ code: 'ERR_HOST_NOT_FOUND' })
    const cause = (err as Error).cause as NodeJS.ErrnoException
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(cause.code)
    expect((err as Error).message).toBe(
      `Cannot connect to nosuchhost.invalid:9: host not found (${cause.code})`,
    )
  })

  it('DatagramConnection.sink fails with DatagramTooLargeError naming the size past 65,507 B', async () => {
    const conn = track(await udp.connect({ host: '127.0.0.1', port: await closedPort() }))
    const err = await rejection(conn.sink([new Uint8Array(65_508)]))
    expect(err).toBeInstanceOf(DatagramTooLargeError)
    expect(err).toMatchObject({ code: 'ERR_DATAGRAM_TOO_LARGE' })
    expect((err as Error).message).toContain('65508-byte datagram')
  })

  it('DatagramConnection.close() while a read is pending ends the source', async () => {
    const conn = track(await udp.connect({ host: '127.0.0.1', port: await closedPort() }))
    const pending = conn.source.next()
    await conn.close()
    await expect(pending).resolves.toEqual({ done: true, value: undefined })
  })

  it('udp.connect() with an aborted signal rejects with AbortError', async () => {
    const err = await rejection(udp.connect({ host: '127.0.0.1', port: 9, signal: AbortSignal.abort() }))
    expect(err).toBeInstanceOf(AbortError)
  })

  it.each([
    { options: null, error: TypeError },
    { options: {}, error: RangeError },
    { options: { port: 0 }, error: RangeError },
    { options: { port: 9, host: '' }, error: TypeError },
    { options: { port: 9, host: 7 }, error: TypeError },
    { options: { port: 9, host: '::1', type: 'udp4' }, error: TypeError },
    { options: { port: 9, queueSize: -1 }, error: RangeError },
    { options: { port: 9, signal: {} }, error: TypeError },
  ])('udp.connect($options) rejects with $error.name', async ({ options, error }) => {
    await expect(udp.connect(options as never)).rejects.toThrow(error)
  })
})
