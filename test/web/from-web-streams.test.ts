import fc from 'fast-check'
import {
  AbortError,
  framed,
  fromWebStreams,
  lengthPrefixed,
  lines,
  pipe,
  SinkInUseError,
  toWebStreams,
  type WebStreamPair,
} from 'it-socket'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { chunkingArb, collect, encodeAll, hex, SEED } from '../framing/helpers.js'
import { decoder, encoder } from '../helpers/bytes.js'
import { readAllWeb, rejection, serverPerTest } from './helpers.js'

const { pair } = serverPerTest()

/** Two connected in-memory web stream pairs, made of two TransformStreams (one per direction). */
function transformPair(): [WebStreamPair, WebStreamPair] {
  const ab = new TransformStream<Uint8Array, Uint8Array>()
  const ba = new TransformStream<Uint8Array, Uint8Array>()
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ]
}

/** A readable of `chunks`, then its end. */
function readableOf(chunks: Iterable<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
      controller.close()
    },
  })
}

/** A web stream pair that records what happens to it: writes, close, abort, cancel. */
function recordingStreams(chunks: Uint8Array[] = []) {
  const log: { written: Uint8Array[]; closed: boolean; aborted: unknown; cancelled: unknown } = {
    written: [],
    closed: false,
    aborted: undefined,
    cancelled: undefined,
  }
  let index = 0
  const readable = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[index++]
      if (chunk === undefined) return new Promise<void>(() => {}) // no more, and no end either
      controller.enqueue(chunk)
      return undefined
    },
    cancel(reason) {
      log.cancelled = reason ?? 'cancelled'
    },
  })
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      log.written.push(chunk)
    },
    close() {
      log.closed = true
    },
    abort(reason) {
      log.aborted = reason
    },
  })
  return { streams: { readable, writable }, log }
}

describe('fromWebStreams()', () => {
  it('fromWebStreams(toWebStreams(conn)) carries lines() through framed(): a request/response loop', async () => {
    const { client, server } = await pair()
    const serving = pipe(
      server,
      lines().decode,
      async function* (requests) {
        for await (const request of requests) yield `echo:${request}`
      },
      lines().encode,
      server,
    )
    const f = framed(fromWebStreams(toWebStreams(client)), lines())
    expect(await f.request('one')).toBe('echo:one')
    expect(await Promise.all([f.request('two'), f.request('three')])).toEqual(['echo:two', 'echo:three'])
    await f.sink([])
    expect(await f.read()).toBeUndefined() // the server half-closed when its source ended
    await serving
    await client.closed
  })

  it('fromWebStreams(toWebStreams(conn)) with lengthPrefixed(): frames of every size cross whole', async () => {
    const { client, server } = await pair()
    const serving = pipe(server, server) // echo
    const lp = lengthPrefixed()
    const messages = [0, 1, 100, 70_000, 300_000].map((n) => new Uint8Array(n).fill(n % 251))
    const duplex = fromWebStreams(toWebStreams(client))
    const [echoed] = await Promise.all([
      pipe(duplex.source, lp.decode, (source) => collect(source)),
      pipe(messages, lp.encode, duplex.sink),
    ])
    expect(hex(echoed)).toEqual(hex(messages))
    await serving
  })

  it('fromWebStreams() over an in-memory TransformStream pair: framed() both ways, half-close each way', async () => {
    const [a, b] = transformPair()
    const client = framed(fromWebStreams(a), lines())
    const server = framed(fromWebStreams(b), lines())
    const serving = (async () => {
      for await (const line of server.source) await server.write(line.toUpperCase())
      await server.sink([]) // our end, after the client's
    })()
    expect(await client.request('hi')).toBe('HI')
    await client.sink([])
    expect(await client.read()).toBeUndefined()
    await serving
  })

  it('fromWebStreams() + a codec: messages survive any re-chunking of the readable', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        chunkingArb,
        async (messages, chunking) => {
          const lp = lengthPrefixed()
          const bytes = await encodeAll(lp, messages)
          const chunks = chunking(bytes).map((c) => (c instanceof Uint8ArrayList ? c.subarray() : c))
          const duplex = fromWebStreams({ readable: readableOf(chunks), writable: new WritableStream() })
          const decoded = await collect(lp.decode(duplex.source))
          expect(hex(decoded)).toEqual(hex(messages))
        },
      ),
      { seed: SEED, numRuns: 200 },
    )
  })

  it('fromWebStreams() + lines(): text survives any re-chunking of what the sink writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\n') && !s.endsWith('\r')),
          {
            maxLength: 20,
          },
        ),
        chunkingArb,
        async (messages, chunking) => {
          const [a, b] = transformPair()
          const bytes = await encodeAll(lines(), messages)
          const received = collect(lines().decode(fromWebStreams(b).source))
          await fromWebStreams(a).sink(chunking(bytes))
          expect(await received).toEqual(messages)
        },
      ),
      { seed: SEED, numRuns: 200 },
    )
  })

  it("fromWebStreams() sink's source ends: writer.close(), the readable stays readable", async () => {
    const { streams, log } = recordingStreams([encoder.encode('still here')])
    const duplex = fromWebStreams(streams)
    await duplex.sink([encoder.encode('a'), new Uint8ArrayList(encoder.encode('b'), encoder.encode('c'))])
    expect(log.closed).toBe(true)
    expect(log.written.map((c) => decoder.decode(c))).toEqual(['a', 'b', 'c'])
    expect(decoder.decode((await duplex.source.next()).value ?? new Uint8Array())).toBe('still here')
  })

  it("fromWebStreams() sink's source throws: writer.abort(err) and reader.cancel(err); both halves fail", async () => {
    const { streams, log } = recordingStreams()
    const duplex = fromWebStreams(streams)
    const reading = duplex.source.next()
    const boom = new Error('boom')
    const failing = (async function* () {
      yield encoder.encode('x')
      throw boom
    })()
    expect(await rejection(duplex.sink(failing))).toBe(boom)
    expect(await rejection(reading)).toBe(boom)
    expect(log.aborted).toBe(boom)
    expect(log.cancelled).toBe(boom)
  })

  it('fromWebStreams() abort() fails both halves with AbortError, aborting and cancelling the streams', async () => {
    const { streams, log } = recordingStreams()
    const duplex = fromWebStreams(streams)
    const reading = duplex.source.next()
    duplex.abort()
    expect(await rejection(reading)).toBeInstanceOf(AbortError)
    expect(await rejection(duplex.sink([]))).toBeInstanceOf(AbortError)
    expect(log.aborted).toBeInstanceOf(AbortError)
    expect(log.cancelled).toBeInstanceOf(AbortError)
  })

  it('fromWebStreams() source left early cancels the readable (stop reading), even before the first read', async () => {
    const first = recordingStreams([encoder.encode('a'), encoder.encode('b')])
    for await (const _ of fromWebStreams(first.streams).source) break
    expect(first.log.cancelled).toBe('cancelled')
    const second = recordingStreams()
    await fromWebStreams(second.streams).source.return()
    expect(second.log.cancelled).toBe('cancelled')
  })

  it('fromWebStreams() over toWebStreams(conn): leaving the source early stops reading, the socket still writes', async () => {
    const { client, server } = await pair()
    const duplex = fromWebStreams(toWebStreams(client))
    await duplex.source.return()
    await duplex.sink([encoder.encode('after leaving')])
    const received = readAllWeb(toWebStreams(server).readable)
    expect(decoder.decode(await received)).toBe('after leaving')
  })

  it('fromWebStreams() sink() may be called once; a chunk that is not bytes rejects with TypeError', async () => {
    const [a, b] = transformPair()
    const duplex = fromWebStreams(a)
    const writing = duplex.sink([encoder.encode('x')])
    expect(await rejection(duplex.sink([]))).toBeInstanceOf(SinkInUseError)
    void fromWebStreams(b).source.next()
    await writing
    const other = fromWebStreams(transformPair()[0])
    const strings: unknown[] = ['text']
    const err = await rejection(other.sink(strings as Uint8Array[]))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as Error).message).toMatch(/cannot write a string/)
  })

  it('fromWebStreams() fails reading a readable of strings with TypeError', async () => {
    const readable = new ReadableStream<unknown>({
      start(controller) {
        controller.enqueue('text')
      },
    })
    const duplex = fromWebStreams({
      readable: readable as ReadableStream<Uint8Array>,
      writable: new WritableStream(),
    })
    const err = await rejection(duplex.source.next())
    expect(err).toBeInstanceOf(TypeError)
    expect((err as Error).message).toMatch(/yielded a string/)
  })

  it('fromWebStreams() validates its argument before locking anything', () => {
    const readable = new ReadableStream<Uint8Array>()
    expect(() => fromWebStreams(null as never)).toThrow(TypeError)
    expect(() => fromWebStreams({ readable } as never)).toThrow(/writable must be a WritableStream/)
    expect(() => fromWebStreams({ readable: {}, writable: new WritableStream() } as never)).toThrow(
      /readable must be a ReadableStream/,
    )
    expect(readable.locked).toBe(false)
  })
})
