import {
  AbortError,
  type Connection,
  type ConnectionLike,
  ConnectionResetError,
  duplexPair,
  lines,
  PAIR_HIGH_WATER_MARK,
  pipe,
  SinkInUseError,
  SocketClosedError,
} from 'it-socket'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { collectBytes, decoder, encoder } from '../helpers/bytes.js'

/** A sink's source that yields `chunks`, then waits until `release()` before it ends. */
function heldOpen(chunks: Uint8Array[]): { source: AsyncGenerator<Uint8Array>; release: () => void } {
  let release!: () => void
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  const source = (async function* () {
    yield* chunks
    await released
  })()
  return { source, release }
}

/** The next chunk of `source` (fails the test at its end). */
async function nextChunk(source: AsyncIterator<Uint8Array>): Promise<Uint8Array> {
  const result = await source.next()
  if (result.done === true) throw new Error('the source ended')
  return result.value
}

/** Resolves once every callback queued so far, and what they queue, has run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describe('duplexPair()', () => {
  it('duplexPair() carries bytes both ways: what one sink writes, the other source yields', async () => {
    const [a, b] = duplexPair()
    const fromA = collectBytes(b.source)
    const fromB = collectBytes(a.source)
    await Promise.all([a.sink([encoder.encode('ping')]), b.sink([encoder.encode('pong')])])
    expect(decoder.decode(await fromA)).toBe('ping')
    expect(decoder.decode(await fromB)).toBe('pong')
    await Promise.all([a.closed, b.closed])
    expect(a.isClosed && b.isClosed).toBe(true)
  })

  it("duplexPair() sink's source ends: a half-close, the peer's source ends and can still write back", async () => {
    const [a, b] = duplexPair()
    await a.sink([encoder.encode('request')])
    expect(a.isClosed).toBe(false)
    expect(decoder.decode(await collectBytes(b.source))).toBe('request')
    // b's source ended; b may still answer, and a still reads.
    const reply = collectBytes(a.source)
    await b.sink([encoder.encode('reply')])
    expect(decoder.decode(await reply)).toBe('reply')
    await Promise.all([a.closed, b.closed])
  })

  it('duplexPair() half-closes the other way too: b ends first, a keeps writing', async () => {
    const [a, b] = duplexPair()
    await b.sink([])
    expect(decoder.decode(await collectBytes(a.source))).toBe('')
    const received = collectBytes(b.source)
    await a.sink([encoder.encode('after b ended')])
    expect(decoder.decode(await received)).toBe('after b ended')
  })

  it('duplexPair() copies each chunk: a writer reusing its buffer does not change what was sent', async () => {
    const [a, b] = duplexPair()
    const buf = encoder.encode('one')
    const writing = a.sink(
      (async function* () {
        yield buf
        buf.set(encoder.encode('two'))
        yield buf
      })(),
    )
    const received = await collectBytes(b.source)
    await writing
    expect(decoder.decode(received)).toBe('onetwo')
  })

  it('duplexPair() abort(err): both halves of that end fail with err; the peer sees a reset', async () => {
    const [a, b] = duplexPair()
    const held = heldOpen([encoder.encode('x')])
    const aWriting = a.sink(held.source)
    const aReading = a.source.next()
    const bHeld = heldOpen([])
    const bWriting = b.sink(bHeld.source)
    const bytesForB = nextChunk(b.source)
    expect(decoder.decode(await bytesForB)).toBe('x')
    const boom = new Error('boom')
    a.abort(boom)
    expect(await rejection(aReading)).toBe(boom)
    // A sink waiting on its own source sees the abort when that source moves on, as a connection's does.
    held.release()
    bHeld.release()
    expect(await rejection(aWriting)).toBe(boom)
    const reset = await rejection(b.source.next())
    expect(reset).toBeInstanceOf(ConnectionResetError)
    expect((reset as ConnectionResetError).code).toBe('ERR_CONNECTION_RESET')
    expect(await rejection(bWriting)).toBeInstanceOf(ConnectionResetError)
    await Promise.all([a.closed, b.closed])
  })

  it('duplexPair() abort() with no error fails both halves with AbortError', async () => {
    const [a] = duplexPair()
    const reading = a.source.next()
    a.abort()
    expect(await rejection(reading)).toBeInstanceOf(AbortError)
    expect(await rejection(a.sink([]))).toBeInstanceOf(AbortError)
  })

  it('duplexPair() peer reset: the source yields what arrived before it, then throws ConnectionResetError', async () => {
    const [a, b] = duplexPair()
    const held = heldOpen([encoder.encode('before')])
    const writing = a.sink(held.source)
    await settle()
    a.abort()
    expect(decoder.decode(await nextChunk(b.source))).toBe('before')
    expect(await rejection(b.source.next())).toBeInstanceOf(ConnectionResetError)
    held.release()
    expect(await rejection(writing)).toBeInstanceOf(AbortError)
  })

  it("duplexPair() sink's source throws: that end is aborted with the error, the peer sees a reset", async () => {
    const [a, b] = duplexPair()
    const boom = new Error('boom')
    const failing = (async function* () {
      yield encoder.encode('x')
      throw boom
    })()
    expect(await rejection(a.sink(failing))).toBe(boom)
    expect(await rejection(a.source.next())).toBe(boom)
    await b.source.next() // 'x'
    expect(await rejection(b.source.next())).toBeInstanceOf(ConnectionResetError)
  })

  it('duplexPair() backpressure: a reader that does not pull stalls the writer at highWaterMark', async () => {
    const [a, b] = duplexPair({ highWaterMark: 4096 })
    let produced = 0
    const writing = a.sink(
      (async function* () {
        for (let i = 0; i < 1000; i++) {
          produced++
          yield new Uint8Array(1024)
        }
      })(),
    )
    await settle()
    // 4 KiB unread (4 chunks) then the sink waits: not 1,000 chunks queued.
    expect(produced).toBeLessThanOrEqual(5)
    expect(b.readableLength).toBe(4096)
    const read = await collectBytes(b.source)
    await writing
    expect(read.byteLength).toBe(1000 * 1024)
  })

  it('duplexPair() backpressure: a source left early keeps the writer stalled (nothing is read or dropped)', async () => {
    const [a, b] = duplexPair({ highWaterMark: 1024 })
    await b.source.return() // leaves before anything arrived
    let produced = 0
    void a
      .sink(
        (async function* () {
          for (;;) {
            produced++
            yield new Uint8Array(512)
          }
        })(),
      )
      .catch(() => {})
    await settle()
    expect(produced).toBeLessThanOrEqual(3)
    a.abort()
  })

  it('duplexPair() sink() may be called once: a second call rejects with SinkInUseError', async () => {
    const [a] = duplexPair()
    await a.sink([])
    expect(await rejection(a.sink([]))).toBeInstanceOf(SinkInUseError)
  })

  it('duplexPair() sink() rejects a chunk that is not bytes with a TypeError and aborts', async () => {
    const [a, b] = duplexPair()
    const strings: AsyncIterable<unknown> = (async function* () {
      yield 'text'
    })()
    // A mistake the types catch; at run time it is refused too.
    const err = await rejection(a.sink(strings as AsyncIterable<Uint8Array>))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as Error).message).toMatch(/cannot write a string/)
    expect(await rejection(b.source.next())).toBeInstanceOf(ConnectionResetError)
  })

  it('duplexPair() close(): ends our side, a sink still writing rejects with SocketClosedError', async () => {
    const [a, b] = duplexPair()
    const held = heldOpen([encoder.encode('partial')])
    const writing = a.sink(held.source)
    await settle()
    await a.close()
    held.release()
    expect(await rejection(writing)).toBeInstanceOf(SocketClosedError)
    expect(decoder.decode(await collectBytes(b.source))).toBe('partial')
    await b.sink([]) // the peer's end: a is fully closed now
    await a.closed
  })

  it('duplexPair() close() before the source is read: a later read throws SocketClosedError', async () => {
    const [a, b] = duplexPair()
    await a.close()
    await b.sink([encoder.encode('dropped')])
    expect(await rejection(a.source.next())).toBeInstanceOf(SocketClosedError)
    await a.closed
  })

  it('duplexPair() close({ timeout }) destroys the end when the peer never ends its side', async () => {
    const [a, b] = duplexPair()
    const held = heldOpen([])
    const bWriting = b.sink(held.source)
    await a.close({ timeout: 0 })
    await a.closed
    held.release()
    expect(await rejection(bWriting)).toBeInstanceOf(ConnectionResetError)
  })

  it('duplexPair() close() is idempotent and [Symbol.asyncDispose] closes', async () => {
    const [a, b] = duplexPair()
    {
      await using end = a
      await end.close()
    }
    await Promise.all([a.close(), a.close()])
    await b.sink([])
    await a.closed
  })

  it('duplexPair() validates its options before making anything', () => {
    expect(() => duplexPair({ highWaterMark: 0 })).toThrow(RangeError)
    expect(() => duplexPair({ highWaterMark: 1.5 })).toThrow(RangeError)
    const notANumber: { highWaterMark?: unknown } = { highWaterMark: '64' }
    expect(() => duplexPair(notANumber as { highWaterMark?: number })).toThrow(
      /highWaterMark must be a number/,
    )
    expect(PAIR_HIGH_WATER_MARK).toBe(64 * 1024)
  })

  it('duplexPair() unit-tests a serve() handler: pipe(conn, lines().decode, …, lines().encode, conn)', async () => {
    // The handler, as it would be given to server.serve(): typed with ConnectionLike, which a
    // Connection satisfies too.
    const shout = (conn: ConnectionLike): Promise<void> =>
      pipe(
        conn,
        lines().decode,
        async function* (requests) {
          for await (const line of requests) yield line.toUpperCase()
        },
        lines().encode,
        conn,
      )
    expectTypeOf<Connection>().toExtend<ConnectionLike>()
    const [client, server] = duplexPair()
    const serving = shout(server)
    const replies = pipe(['hello', 'world'], lines().encode, client, lines().decode, async (source) => {
      const out: string[] = []
      for await (const line of source) out.push(line)
      return out
    })
    expect(await replies).toEqual(['HELLO', 'WORLD'])
    await serving
    await Promise.all([client.closed, server.closed])
  })
})
