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

/** The method under which a transform's output offers its synchronous step (see {@link Stage}). */
export const STAGE: unique symbol = Symbol.for('it-socket.stage')

/**
 * A transform's synchronous core, which a batch-aware consumer may run inline instead of awaiting
 * the transform: `decode`, `encode` and `until` are each a step over a batch. A connection's sink
 * fuses the chain of stages back to the connection's source and runs them all in one go per batch,
 * so a request/response exchange crosses one `await` on the server instead of one per stage.
 */
export interface Stage<In, Out> {
  /** Where the stage reads from. */
  readonly source: Source<In>
  /**
   * Transforms one batch, pushing results onto `out`. Returns true when the stage is done (upstream
   * is not read any more; what it pushed is the last). On a throw, what it pushed before is still
   * valid and is delivered before the error.
   */
  step(batch: readonly In[], out: Out[]): boolean
  /** Upstream ended: pushes any final results (may throw, as `step`). */
  end(out: Out[]): void
}

/**
 * Takes `source` whole when it is a `batched()` output nothing has read yet, so that its producer
 * can be driven another way (a connection's sink runs its own source's data events directly).
 * Returns false, taking nothing, otherwise.
 */
export function takeUntouched(source: unknown): boolean {
  return source instanceof BatchedItems && source.takeWhole()
}

/**
 * The method under which a source offers to push its batches instead of being pulled: a consumer
 * that can take a batch synchronously (a connection's sink) calls it once with a {@link PushTarget};
 * the source then hands over what it has as soon as it has it, with no loop awaiting it in between.
 * It returns how to resume the source after the target held it back. Call it through
 * {@link takePush}, which first makes sure nothing read the source another way.
 */
export const PUSH: unique symbol = Symbol.for('it-socket.push')

/** Where a pushing source delivers (see {@link PUSH}). */
export interface PushTarget<T> {
  /** Takes a batch; false when the source must hold further batches until it is resumed. */
  push(batch: readonly T[]): boolean
  /** The source ended. */
  end(): void
  /** The source failed with `err`. */
  fail(err: unknown): void
}

/** How a consumer resumes a pushing source that it held back. */
export interface PushControl {
  resume(): void
}

/** A source that can push (see {@link PUSH}). */
export interface Pushable<T> {
  [PUSH](target: PushTarget<T>): PushControl
}

/**
 * Takes `source` for pushing when it offers it and nothing has read it: returns the function that
 * starts the push, or `undefined` (taking nothing).
 */
export function takePush<T>(source: Source<T>): ((target: PushTarget<T>) => PushControl) | undefined {
  const offer = (source as Partial<Pushable<T>>)[PUSH]
  if (typeof offer !== 'function' || !takeUntouched(source)) return undefined
  return (target) => offer.call(source, target)
}

/** An async generator of batches: what `[BATCHES]()` returns. */
export type BatchGenerator<T> = AsyncGenerator<readonly T[], void, undefined>

/** A stage of a chain whose item types vary from stage to stage. */
// biome-ignore lint/suspicious/noExplicitAny: the chain mixes item types
export type AnyStage = Stage<any, any>

/** An async generator of items that also offers them in batches, and maybe its synchronous step. */
export type Batched<T> = AsyncGenerator<T, void, undefined> & {
  [BATCHES](): BatchGenerator<T>
  // biome-ignore lint/suspicious/noExplicitAny: a stage's input type is its own business
  [STAGE]?: () => Stage<any, T> | undefined
}

/**
 * Wraps a generator of batches as an async generator of items that also offers the batches
 * themselves (and, when `stage` is given, its synchronous step). Whichever way the consumer reads,
 * the output is read once: asking for batches after items were read gets the rest item by item,
 * each as a batch of one; the stage is offered only while nothing was read. Nothing is allocated
 * until the consumer picks a way: an idle connection's pipeline holds no generators it never ran.
 */
export function batched<T>(
  makeBatches: () => BatchGenerator<T>,
  // biome-ignore lint/suspicious/noExplicitAny: see Batched
  stage?: () => Stage<any, T>,
): Batched<T> {
  return new BatchedItems(makeBatches, stage) as Batched<T>
}

const DONE: IteratorReturnResult<void> = { done: true, value: undefined }

/**
 * The object `batched()` returns: an async generator of items, made on first use. Stages subclass it
 * and override {@link openBatches} and {@link openStage} instead of passing closures, so that a
 * pipeline built per connection holds plain objects only.
 */
export class BatchedItems<T> implements AsyncGenerator<T, void, undefined> {
  private readonly makeBatches: (() => BatchGenerator<T>) | undefined
  // biome-ignore lint/suspicious/noExplicitAny: see Batched
  private readonly makeStage: (() => Stage<any, T>) | undefined
  private items: AsyncGenerator<T, void, undefined> | undefined
  /** Set once the output was taken as batches or as a stage, or finished before any read. */
  private taken = false

  constructor(
    makeBatches?: () => BatchGenerator<T>,
    // biome-ignore lint/suspicious/noExplicitAny: see Batched
    makeStage?: () => Stage<any, T>,
  ) {
    this.makeBatches = makeBatches
    this.makeStage = makeStage
  }

  /** Starts producing batches; called at most once. */
  protected openBatches(): BatchGenerator<T> {
    return (this.makeBatches as () => BatchGenerator<T>)()
  }

  /** The synchronous step to offer instead of batches, if any; called at most once. */
  // biome-ignore lint/suspicious/noExplicitAny: see Batched
  protected openStage(): Stage<any, T> | undefined {
    return this.makeStage?.()
  }

  next(): Promise<IteratorResult<T, void>> {
    return this.itemGenerator().next()
  }

  return(): Promise<IteratorResult<T, void>> {
    if (this.items !== undefined) return this.items.return()
    this.taken = true
    return Promise.resolve(DONE)
  }

  throw(err: unknown): Promise<IteratorResult<T, void>> {
    if (this.items !== undefined) return this.items.throw(err)
    this.taken = true
    return Promise.reject(err)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return()
  }

  [BATCHES](): BatchGenerator<T> {
    if (this.items !== undefined || this.taken) return singles(this)
    this.taken = true
    return this.openBatches()
  }

  // biome-ignore lint/suspicious/noExplicitAny: see Batched
  [STAGE](): Stage<any, T> | undefined {
    if (this.items !== undefined || this.taken) return undefined
    const stage = this.openStage()
    if (stage !== undefined) this.taken = true
    return stage
  }

  /** Marks the output as taken, if nothing was taken before; see {@link takeUntouched}. */
  takeWhole(): boolean {
    if (this.items !== undefined || this.taken) return false
    this.taken = true
    return true
  }

  private itemGenerator(): AsyncGenerator<T, void, undefined> {
    if (this.items === undefined) {
      if (this.taken) {
        this.items = (async function* () {})()
      } else {
        this.items = new Flattened(this.openBatches())
      }
    }
    return this.items
  }
}

const NO_ITEMS: readonly never[] = []

/**
 * The items of a generator of batches, one by one, as an async generator would yield them but
 * hand-written: while the current batch has items, `next()` returns an already settled promise, with
 * no generator to resume; only the first item of each batch waits on the producer. `for await` over a
 * decoder's output or a connection's source then costs about what a hand-written iterator does per
 * message, instead of an async generator's resumption per message. Calls of `next()` made while one
 * waits are answered in order, as an async generator queues them.
 */
class Flattened<T> implements AsyncGenerator<T, void, undefined> {
  private batch: readonly T[] = NO_ITEMS
  private index = 0
  private finished = false
  /** The `next()` waiting on the producer, if any. */
  private waiting: Promise<IteratorResult<T, void>> | undefined

  constructor(private readonly batches: BatchGenerator<T>) {}

  next(): Promise<IteratorResult<T, void>> {
    if (this.waiting !== undefined) {
      const after = (): Promise<IteratorResult<T, void>> => this.next()
      return this.waiting.then(after, after)
    }
    if (this.index < this.batch.length) {
      return Promise.resolve({ done: false, value: this.batch[this.index++] as T })
    }
    if (this.finished) return Promise.resolve(DONE)
    const waiting = this.batches.next().then(
      (result) => {
        this.waiting = undefined
        if (result.done === true) {
          this.finish()
          return DONE
        }
        this.batch = result.value
        this.index = 0
        return this.next()
      },
      (err: unknown) => {
        this.waiting = undefined
        this.finish()
        throw err
      },
    )
    this.waiting = waiting
    return waiting
  }

  return(): Promise<IteratorResult<T, void>> {
    if (this.finished) return Promise.resolve(DONE)
    this.finish()
    return this.batches.return().then(() => DONE)
  }

  throw(err: unknown): Promise<IteratorResult<T, void>> {
    if (this.finished) return Promise.reject(err)
    this.finish()
    return this.batches.throw(err).then(() => DONE)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return()
  }

  private finish(): void {
    this.finished = true
    this.batch = NO_ITEMS
    this.index = 0
  }
}

/**
 * Takes the chain of stages that ends in `source`: the stages in order from the one nearest the
 * root, and the root source they read from. With no stage to take, the root is `source` itself.
 */
// biome-ignore lint/suspicious/noExplicitAny: the chain mixes item types
export function takeStages(source: Source<any>): { root: Source<any>; stages: Stage<any, any>[] } {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const stages: Stage<any, any>[] = []
  let root = source
  for (;;) {
    const offer = (root as Partial<Batched<unknown>>)[STAGE]
    const stage = typeof offer === 'function' ? offer.call(root) : undefined
    if (stage === undefined) break
    stages.push(stage)
    root = stage.source
  }
  // Found last first; reversed into an exact-size copy, since a connection keeps it for its life
  // (a grown array keeps its spare capacity: 152 bytes per connection with unshift()).
  return { root, stages: stages.length === 0 ? stages : stages.slice().reverse() }
}

/**
 * Runs one root batch (or, with `undefined`, the root's end) through `stages`. Returns the outputs;
 * `ended` when the output ends after them (the root ended, or a stage such as `until` finished, in
 * which case the root must not be read any more); and an error thrown on the way, after which the
 * outputs produced before it are still returned, for delivery first.
 */
export function runStages(
  // biome-ignore lint/suspicious/noExplicitAny: the chain mixes item types
  stages: readonly Stage<any, any>[],
  batch: readonly unknown[] | undefined,
): { out: readonly unknown[]; ended: boolean; error?: { error: unknown } } {
  let items: readonly unknown[] = batch ?? []
  let ending = batch === undefined
  let error: { error: unknown } | undefined
  for (const stage of stages) {
    const out: unknown[] = []
    try {
      if (error !== undefined) {
        // Downstream of a failure: what was produced before it still goes through, then the error.
        if (items.length > 0) stage.step(items, out)
      } else {
        if (items.length > 0 && stage.step(items, out)) ending = true
        if (ending) stage.end(out)
      }
    } catch (err) {
      error ??= { error: err }
    }
    items = out
  }
  return error === undefined ? { out: items, ended: ending } : { out: items, ended: ending, error }
}
/** Items of an array source taken into one batch at most. */
const ARRAY_BATCH = 1024

/** True when `source` offers batches. */
export function offersBatches<T>(source: Source<T>): boolean {
  return typeof (source as Partial<Batched<T>>)[BATCHES] === 'function'
}

/**
 * Items of a synchronous source (a generator function's, a Set's) read into one batch at most, and
 * bytes, when its items are bytes: a bound on how far it is read ahead of its consumer.
 */
const SYNC_BATCH = 256
const SYNC_BATCH_BYTES = 64 * 1024

/**
 * The batches of `source`: its own when it offers them; an array in slices of up to 1,024 items or
 * 64 KiB; a synchronous iterable in runs of what it yields at once, up to 256 items
 * or 64 KiB, so a `function*` source costs a promise per batch rather than per item; any other
 * (asynchronous) source item by item, each as a batch of one, so it is never read ahead of its
 * consumer.
 */
export function batchesOf<T>(source: Source<T>): AsyncIterable<readonly T[]> {
  const offer = (source as Partial<Batched<T>>)[BATCHES]
  if (typeof offer === 'function') {
    const iterator = offer.call(source)
    return { [Symbol.asyncIterator]: () => iterator }
  }
  if (Array.isArray(source)) return arraySlices(source)
  if (isSyncOnly(source)) return syncRuns(source)
  return singles(source)
}

/** A synchronous iterable that is not also asynchronous. */
function isSyncOnly<T>(source: Source<T>): source is Iterable<T> {
  return (
    typeof (source as Partial<Iterable<T>>)[Symbol.iterator] === 'function' &&
    typeof (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] !== 'function'
  )
}

/**
 * A synchronous source's items in batches of what it yields in a row, bounded by {@link SYNC_BATCH}
 * items and {@link SYNC_BATCH_BYTES} bytes. What it yielded before throwing is delivered first; left
 * early, it is closed (`return()`), as `for await` would.
 */
async function* syncRuns<T>(source: Iterable<T>): BatchGenerator<T> {
  const iterator = source[Symbol.iterator]()
  let done = false
  try {
    while (!done) {
      const batch: T[] = []
      let bytes = 0
      let failure: { error: unknown } | undefined
      while (batch.length < SYNC_BATCH && bytes < SYNC_BATCH_BYTES) {
        let result: IteratorResult<T>
        try {
          result = iterator.next()
        } catch (error) {
          done = true
          failure = { error }
          break
        }
        if (result.done === true) {
          done = true
          break
        }
        batch.push(result.value)
        if (result.value instanceof Uint8Array) bytes += result.value.byteLength
      }
      if (batch.length > 0) yield batch
      if (failure !== undefined) throw failure.error
    }
  } finally {
    if (!done) iterator.return?.()
  }
}

/**
 * An array's items in slices of up to {@link ARRAY_BATCH} items and, when its items are bytes,
 * {@link SYNC_BATCH_BYTES} bytes (at least one item): the array is in memory already, but what the
 * next stage makes of a batch (a decoder's values) is held whole until it is consumed.
 */
async function* arraySlices<T>(source: readonly T[]): BatchGenerator<T> {
  let at = 0
  while (at < source.length) {
    const limit = Math.min(source.length, at + ARRAY_BATCH)
    let end = at
    let bytes = 0
    while (end < limit && (end === at || bytes < SYNC_BATCH_BYTES)) {
      const item = source[end++]
      if (item instanceof Uint8Array) bytes += item.byteLength
    }
    yield source.slice(at, end)
    at = end
  }
}

/** Each item of `source` as a batch of one. */
async function* singles<T>(source: Source<T>): BatchGenerator<T> {
  for await (const item of source) yield [item]
}
