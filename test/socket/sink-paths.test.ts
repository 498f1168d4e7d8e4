/**
 * docs/ARCHITECTURE.md's table "pipe shape → what runs", one test per row: each pipe shape is run
 * over a real connection, its bytes checked, and the way the sink ran read through the package's
 * internals (`connectionInternals().sinkPath`), so that a change which drops a shape to a slower path
 * fails here rather than only in the benchmark.
 */
import { type Connection, connect, framed, lengthPrefixed, listen, pipe, type Server, until } from 'it-socket'
import type { Source } from 'it-stream-types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { connectionInternals, type SinkPath } from '../../src/socket/connection.js'
import { collectBytes, decoder, encoder } from '../helpers/bytes.js'
import { portOf } from '../helpers/net.js'

let server: Server
let accepted: AsyncIterator<Connection>

beforeEach(async () => {
  server = await listen({ host: '127.0.0.1' })
  accepted = server[Symbol.asyncIterator]()
})

afterEach(async () => {
  await server.close({ timeout: 100 })
})

/** A client connected to the server, and the server's side of it. */
async function pair(): Promise<{ client: Connection; served: Connection }> {
  const [client, next] = await Promise.all([
    connect({ host: '127.0.0.1', port: portOf(server) }),
    accepted.next(),
  ])
  if (next.done === true) throw new Error('server closed')
  return { client, served: next.value }
}

const pathOf = (conn: Connection): SinkPath | undefined => connectionInternals().sinkPath(conn)

/** Length-prefixed frames of `texts`, as one buffer. */
async function frames(texts: string[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of lengthPrefixed().encode(texts.map((t) => encoder.encode(t)))) {
    parts.push(chunk instanceof Uint8Array ? chunk : chunk.subarray())
  }
  return Uint8Array.from(parts.flatMap((p) => [...p]))
}

/** The texts of the length-prefixed frames in `bytes`. */
async function texts(bytes: Uint8Array): Promise<string[]> {
  const out: string[] = []
  for await (const m of lengthPrefixed().decode([bytes])) out.push(decoder.decode(m))
  return out
}

/** A transform of the user's own: passes messages through, item by item. */
async function* mine<T>(source: Source<T>): AsyncGenerator<T> {
  for await (const item of source) yield item
}

/** Sends `bytes` from the client, ends its side, and returns everything the server sent back. */
async function exchange(client: Connection, bytes: Uint8Array): Promise<Uint8Array> {
  const [, reply] = await Promise.all([client.sink([bytes]), collectBytes(client.source)])
  return reply
}

describe('pipe shape → what runs (docs/ARCHITECTURE.md)', () => {
  it('pipe(conn, conn) runs the direct sink, from the socket events', async () => {
    const { client, served } = await pair()
    const echoing = pipe(served, served)
    expect(decoder.decode(await exchange(client, encoder.encode('echo')))).toBe('echo')
    await echoing
    expect(pathOf(served)).toBe('direct')
  })

  it('pipe(conn, decode, until, encode, conn) runs the direct sink with the stages fused', async () => {
    const { client, served } = await pair()
    const lp = lengthPrefixed()
    const echoing = pipe(served, lp.decode, until('bye'), lp.encode, served)
    expect(await texts(await exchange(client, await frames(['a', 'bye', 'unread'])))).toEqual(['a', 'bye'])
    await echoing
    expect(pathOf(served)).toBe('direct')
  })

  it('framed(conn).request() and write() run the pushed sink', async () => {
    const { client, served } = await pair()
    const echoing = pipe(served, served)
    const f = framed(client, lengthPrefixed())
    expect(decoder.decode(await f.request(encoder.encode('ping')))).toBe('ping')
    await f.write(encoder.encode('pong'))
    await f.sink([])
    expect(decoder.decode((await f.read()) as Uint8Array)).toBe('pong')
    await echoing
    expect(pathOf(client)).toBe('pushed')
  })

  it('pipe(conn, decode, transform of yours, encode, conn) runs the batch loop from your transform', async () => {
    const { client, served } = await pair()
    const lp = lengthPrefixed()
    const echoing = pipe(served, lp.decode, mine, lp.encode, served)
    expect(await texts(await exchange(client, await frames(['x', 'y'])))).toEqual(['x', 'y'])
    await echoing
    expect(pathOf(served)).toBe('batches')
  })

  for (const [shape, source] of [
    ['an array', (): Iterable<Uint8Array> => [encoder.encode('1'), encoder.encode('2')]],
    [
      'a sync generator',
      function* (): Generator<Uint8Array> {
        yield encoder.encode('1')
        yield encoder.encode('2')
      },
    ],
  ] as const) {
    it(`pipe(${shape}, encode, conn) runs the batch loop with encode fused`, async () => {
      const { client, served } = await pair()
      const sending = pipe(source(), lengthPrefixed().encode, client)
      const received = collectBytes(served.source)
      await sending
      expect(await texts(await received)).toEqual(['1', '2'])
      expect(pathOf(client)).toBe('batches')
    })
  }

  it("pipe(another connection, conn) runs the batch loop over that connection's batches", async () => {
    const first = await pair()
    const second = await pair()
    // What the first client sends is forwarded, server side, to the second client.
    const forwarding = pipe(first.served, second.served)
    const received = collectBytes(second.client.source)
    await first.client.sink([encoder.encode('forwarded')])
    await forwarding
    expect(decoder.decode(await received)).toBe('forwarded')
    expect(pathOf(second.served)).toBe('batches')
  })

  it('conn.sink(array of chunks) runs the item loop', async () => {
    const { client, served } = await pair()
    const received = collectBytes(served.source)
    await client.sink([encoder.encode('a'), encoder.encode('b')])
    expect(decoder.decode(await received)).toBe('ab')
    expect(pathOf(client)).toBe('items')
  })

  it('pipe(conn, transform of yours, conn) runs the item loop', async () => {
    const { client, served } = await pair()
    const echoing = pipe(served, mine, served)
    expect(decoder.decode(await exchange(client, encoder.encode('via yours')))).toBe('via yours')
    await echoing
    expect(pathOf(served)).toBe('items')
  })
})
