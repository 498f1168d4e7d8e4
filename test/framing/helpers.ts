/**
 * Shared helpers of the framing tests: re-chunking, collecting, an in-memory duplex pair, a gated sink,
 * error assertions.
 */

import fc from 'fast-check'
import type { Source } from 'it-stream-types'
import { Uint8ArrayList } from 'uint8arraylist'
import { SinkInUseError } from '../../src/errors.js'
import type { Codec } from '../../src/framing/codec.js'

/** Every property test uses this seed, so a failure reproduces. */
export const SEED = 42

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
export const fromUtf8 = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

/**
 * Byte messages as hex strings: `expect(hex(a)).toEqual(hex(b))` compares fast (a deep equality over
 * typed arrays walks them element by element) and prints readably.
 */
export const hex = (messages: ReadonlyArray<Uint8Array | undefined>): string[] =>
  messages.map((m) =>
    m === undefined ? 'undefined' : Buffer.from(m.buffer, m.byteOffset, m.byteLength).toString('hex'),
  )

export async function collect<T>(source: Source<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

export function concatBytes(chunks: ReadonlyArray<Uint8Array | Uint8ArrayList>): Uint8Array {
  const list = new Uint8ArrayList()
  list.appendAll([...chunks])
  return list.slice()
}

/** Splits `data` into chunks of `size` bytes (the last may be shorter). */
export function chunksOf(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < data.length; i += size) out.push(data.slice(i, i + size))
  return out
}

/** Splits `data` at the given offsets (sorted, deduplicated, in range). */
export function splitAt(data: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => Math.min(Math.max(o, 0), data.length)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let start = 0
  for (const cut of cuts) {
    out.push(data.slice(start, cut))
    start = cut
  }
  out.push(data.slice(start))
  return out
}

/** Encodes `messages` with `codec` into one buffer. */
export async function encodeAll<T>(codec: Codec<T>, messages: T[]): Promise<Uint8Array> {
  return concatBytes(await collect(codec.encode(messages)))
}

/** Decodes `chunks` with `codec`, fed as an async source. */
export async function decodeAll<T>(
  codec: Codec<T>,
  chunks: Iterable<Uint8Array | Uint8ArrayList>,
): Promise<T[]> {
  return collect(codec.decode(toAsync(chunks)))
}

export async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item
}

/**
 * A way to cut a byte stream into chunks, for property tests: one byte at a time, all in one chunk,
 * random cuts; each either as `Uint8Array`s or as `Uint8ArrayList`s of several buffers.
 */
export type Chunking = (data: Uint8Array) => Array<Uint8Array | Uint8ArrayList>

export const chunkingArb: fc.Arbitrary<Chunking> = fc.oneof(
  fc.constant<Chunking>((data) => chunksOf(data, 1)),
  fc.constant<Chunking>((data) => [data]),
  fc.array(fc.nat(), { maxLength: 20 }).map<Chunking>(
    (cuts) => (data) =>
      splitAt(
        data,
        cuts.map((c) => (data.length === 0 ? 0 : c % (data.length + 1))),
      ),
  ),
  fc
    .tuple(fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 4 }))
    .map<Chunking>(([cuts, group]) => (data) => {
      const pieces = splitAt(
        data,
        cuts.map((c) => (data.length === 0 ? 0 : c % (data.length + 1))),
      )
      const lists: Uint8ArrayList[] = []
      for (let i = 0; i < pieces.length; i += group)
        lists.push(new Uint8ArrayList(...pieces.slice(i, i + group)))
      return lists
    }),
)

/** A byte duplex as `framed()` sees a connection: source iterable once, sink callable once. */
export interface MemoryDuplex {
  source: AsyncGenerator<Uint8Array | Uint8ArrayList>
  sink: (source: Source<Uint8Array | Uint8ArrayList>) => Promise<void>
  /** How many times `sink` was called. */
  sinkCalls: number
  /** Each chunk the sink took, as `Uint8Array`s, in order. */
  written: Uint8Array[]
  /** Resolves when the sink's source ended (our half-close). */
  ended: Promise<void>
}

/**
 * Two connected in-memory duplexes that record what their sinks take (`written`, `sinkCalls`,
 * `ended`): what one's sink takes, the other's source yields, chunk for chunk. The sink's source
 * ending ends the peer's source (FIN). Tests that need no record use the library's `duplexPair()`.
 */
export function recordingPair(): [MemoryDuplex, MemoryDuplex] {
  const a = pipeEnd()
  const b = pipeEnd()
  a.connect(b)
  b.connect(a)
  return [a.duplex, b.duplex]
}

function pipeEnd() {
  const queue: Array<Uint8Array | null> = []
  let wake: (() => void) | undefined
  let peer: { deliver: (chunk: Uint8Array | null) => void } | undefined
  const source = (async function* () {
    for (;;) {
      const chunk = queue.shift()
      if (chunk === null) return
      if (chunk !== undefined) {
        yield chunk
        continue
      }
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
  })()
  const duplex = recordingDuplex(
    source,
    (data) => peer?.deliver(data.slice()),
    () => peer?.deliver(null),
  )
  return {
    duplex,
    deliver(chunk: Uint8Array | null) {
      queue.push(chunk)
      wake?.()
    },
    connect(other: { deliver: (chunk: Uint8Array | null) => void }) {
      peer = other
    },
  }
}

/**
 * A byte duplex whose source yields `chunks` and then ends; its sink records what it takes.
 */
export function scriptedDuplex(chunks: Iterable<Uint8Array | Uint8ArrayList>): MemoryDuplex {
  return recordingDuplex(toAsync(chunks))
}

/**
 * A duplex over `source` whose sink may be called once and records each chunk it takes (passing it
 * to `onChunk`), then calls `onEnd` and resolves `ended` when its source ends.
 */
function recordingDuplex(
  source: AsyncGenerator<Uint8Array | Uint8ArrayList>,
  onChunk?: (data: Uint8Array) => void,
  onEnd?: () => void,
): MemoryDuplex {
  let markEnded!: () => void
  const duplex: MemoryDuplex = {
    sinkCalls: 0,
    written: [],
    ended: new Promise((resolve) => {
      markEnded = resolve
    }),
    source,
    sink: async (input) => {
      duplex.sinkCalls++
      if (duplex.sinkCalls > 1) throw new SinkInUseError()
      for await (const chunk of input) {
        const data = chunk instanceof Uint8Array ? chunk : chunk.subarray()
        duplex.written.push(data)
        onChunk?.(data)
      }
      onEnd?.()
      markEnded()
    },
  }
  return duplex
}

/**
 * Wraps a byte sink so that it takes one chunk, then waits for `open()` before taking the rest: what
 * is written meanwhile stays queued on the writer's side.
 */
export function gateAfterFirst(sink: MemoryDuplex['sink']): { sink: MemoryDuplex['sink']; open: () => void } {
  let open!: () => void
  const gate = new Promise<void>((resolve) => {
    open = resolve
  })
  const gated = async function* (source: Source<Uint8Array | Uint8ArrayList>) {
    let first = true
    for await (const chunk of source) {
      yield chunk
      if (first) {
        first = false
        await gate
      }
    }
  }
  return { sink: (source) => sink(gated(source)), open }
}

/** Lets every microtask queued so far, and those they queue, run: resolves on the next macrotask. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

type ErrorClass = (new (...args: never[]) => Error) & { code?: string }

/** Expects `promise` to reject with an error of `errorClass` whose `code` is its class's code. */
export async function rejectsWith(promise: Promise<unknown>, errorClass: ErrorClass): Promise<Error> {
  let caught: unknown
  try {
    await promise
  } catch (err) {
    caught = err
  }
  return expectError(caught, errorClass)
}

/** Expects `fn` to throw, at once, an error of `errorClass` whose `code` is its class's code. */
export function throwsWith(fn: () => unknown, errorClass: ErrorClass): Error {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  return expectError(caught, errorClass)
}

function expectError(caught: unknown, errorClass: ErrorClass): Error {
  if (!(caught instanceof errorClass)) {
    throw new Error(
      `expected ${errorClass.name}, got ${caught instanceof Error ? caught.stack : String(caught)}`,
    )
  }
  if (errorClass.code !== undefined && (caught as { code?: string }).code !== errorClass.code) {
    throw new Error(`expected code ${errorClass.code}, got ${(caught as { code?: string }).code}`)
  }
  return caught
}
