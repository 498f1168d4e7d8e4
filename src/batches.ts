/**
 * The batch fast path: how it-socket's own stages hand each other every item that is ready at once,
 * so a pipeline pays one `await` per socket chunk instead of one per message.
 *
 * An async iterable may offer `[BATCHES]()`: an async iterator of arrays, each holding items that
 * were ready together (the frames of one chunk, the chunks queued on a socket). A stage that knows
 * the protocol (the codecs' `decode`/`encode`, `until`, a connection's `sink`) asks its source for
 * batches and offers batches itself; any other transform in the pipe just iterates item by item, as
 * the async-iterable contract says, so composition with the rest of the it-* world is unchanged.
 *
 * Measured on a 64-byte length-prefixed echo, one `await` per message per stage was most of the cost
 * (async-generator resumptions, microtasks and their garbage); batches remove it where both sides of
 * an edge are it-socket stages.
 *
 * @module
 */
import type { Source } from 'it-stream-types'

/** The method under which an async iterable offers its items in batches. */
export const BATCHES: unique symbol = Symbol.for('it-socket.batches')

/** An async generator of items that also offers them in batches. */
export type Batched<T> = AsyncGenerator<T, void, undefined> & {
  [BATCHES](): AsyncGenerator<readonly T[], void, undefined>
}

/**
 * Wraps a generator of batches as an async generator of items that also offers the batches
 * themselves. Whichever way the consumer reads, the batches generator is read once: asking for
 * batches after items were read gets the rest item by item, each as a batch of one.
 */
export function batched<T>(batches: AsyncGenerator<readonly T[], void, undefined>): Batched<T> {
  let itemsStarted = false
  let batchesTaken = false
  async function* items(): AsyncGenerator<T, void, undefined> {
    itemsStarted = true
    for await (const batch of batches) {
      for (const item of batch) yield item
    }
  }
  const generator = items() as Batched<T>
  generator[BATCHES] = () => {
    if (itemsStarted || batchesTaken) return singles(generator)
    batchesTaken = true
    return batches
  }
  return generator
}

/** Items of an array source taken into one batch at most. */
const ARRAY_BATCH = 1024

/** True when `source` offers batches. */
export function offersBatches<T>(source: Source<T>): boolean {
  return typeof (source as Partial<Batched<T>>)[BATCHES] === 'function'
}

/**
 * The batches of `source`: its own when it offers them; an array in slices of up to 1,024 items (it is
 * all in memory already); any other source item by item, each as a batch of one, so a lazy source is
 * never read ahead of its consumer.
 */
export function batchesOf<T>(source: Source<T>): AsyncIterable<readonly T[]> {
  const offer = (source as Partial<Batched<T>>)[BATCHES]
  if (typeof offer === 'function') {
    const iterator = offer.call(source)
    return { [Symbol.asyncIterator]: () => iterator }
  }
  if (Array.isArray(source)) return arraySlices(source)
  return singles(source)
}

async function* arraySlices<T>(source: readonly T[]): AsyncGenerator<readonly T[], void, undefined> {
  for (let at = 0; at < source.length; at += ARRAY_BATCH) yield source.slice(at, at + ARRAY_BATCH)
}

/** Each item of `source` as a batch of one. */
async function* singles<T>(source: Source<T>): AsyncGenerator<readonly T[], void, undefined> {
  for await (const item of source) yield [item]
}
