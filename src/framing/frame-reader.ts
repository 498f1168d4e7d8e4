/**
 * The read side of `framed()`: the codec's decoder over the underlying source, who reads it now, the
 * frame a reader asked for and may not take (an aborted `read()`), and the bytes `unwrap()` replays.
 *
 * @module
 */
import type { Source } from 'it-stream-types'
import { isUint8ArrayList, type Uint8ArrayList } from 'uint8arraylist'
import { batchesOf } from '../batches.js'
import { AbortError } from '../errors.js'
import type { Codec, FrameDecoder } from './codec.js'
import { buffersOf } from './decode-with.js'

/** Who reads the decoder now ({@link FrameReader.reader}): nobody, a `read()`, `source`, or the replies to `request()`s. */
export const IDLE = 0
export const READ = 1
export const SOURCE = 2
export const REQUESTS = 3
export type Reader = typeof IDLE | typeof READ | typeof SOURCE | typeof REQUESTS

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }

/**
 * Decodes the underlying source, for one reader at a time: `source`, `read()` or the replies to
 * `request()`s take its messages in order, and every message goes to exactly one of them.
 */
/** What {@link FrameReader.unwrap} returns. */
export interface Unwrapped {
  /** The bytes read but not decoded, then the rest of the underlying source. */
  source: AsyncGenerator<Uint8Array>
  /** Takes the bytes read but not decoded that `source` has not yielded yet (for `startTls()`). */
  takeReplay(): Uint8Array[]
}

export class FrameReader<T> {
  /** Who reads now: set by the reader while it waits for a message; the caller checks it first. */
  reader: Reader = IDLE
  /**
   * The next frame, asked of the decoder by a reader that may not take it (an aborted `read()`, the
   * reply reader after every request settled). Only the reader that takes its result clears it, so
   * a frame decoded for a reader that gave up goes to the next one: nothing is lost or read twice.
   */
  pending: Promise<IteratorResult<T>> | undefined
  /** Set once decoding failed: every later read throws this error. */
  failure: { error: unknown } | undefined
  /** Messages decoded so far (`framed().stats.messagesDecoded`). */
  decoded = 0

  /** The underlying source, read in batches (its own when it offers them: see `src/batches.ts`). */
  private input: AsyncIterator<readonly (Uint8Array | Uint8ArrayList)[]> | undefined
  /** The same, item by item, for codecs without a decoder and for `unwrap()`. */
  private itemInput: AsyncGenerator<Uint8Array | Uint8ArrayList> | undefined
  private readonly decoder: FrameDecoder<T> | undefined
  /** For codecs without `createDecoder`: their `decode` over the input. */
  private fallback: AsyncIterator<T> | undefined
  /** The buffers of the last batch not yet given to the decoder. */
  private listBufs: readonly Uint8Array[] = []
  private listIndex = 0
  private eof = false

  constructor(
    private readonly source: Source<Uint8Array | Uint8ArrayList>,
    private readonly codec: Codec<T>,
  ) {
    this.decoder = codec.createDecoder?.()
  }

  /** False once a codec without `createDecoder` began reading: the bytes it holds cannot be handed back. */
  get replayable(): boolean {
    return this.decoder !== undefined || this.fallback === undefined
  }

  /**
   * `read()` once the caller checked nobody else reads: the next message, `undefined` at the end.
   * Aborted by `signal`, it rejects with `AbortError` and leaves the frame in `pending`.
   */
  async read(signal: AbortSignal | undefined): Promise<T | undefined> {
    this.reader = READ
    try {
      let result: IteratorResult<T>
      if (signal === undefined && this.pending === undefined) {
        // Nothing can abandon this read: wait on the frame loop itself, no bookkeeping.
        result = await this.nextFrame()
      } else {
        const next = this.pendingFrame()
        let outcome: IteratorResult<T> | typeof ABORTED
        try {
          outcome = signal === undefined ? await next : await raceAbort(next, signal)
        } catch (err) {
          this.pending = undefined
          throw err
        }
        // Aborted: the frame stays in `pending` for the next reader, whether it came yet or not.
        if (outcome === ABORTED) throw new AbortError('read() was aborted', { cause: signal?.reason })
        this.pending = undefined
        result = outcome
      }
      return result.done === true ? undefined : result.value
    } finally {
      this.reader = IDLE
    }
  }

  /**
   * The next message if the bytes already read hold one, without waiting; `undefined` otherwise (or
   * for codecs without a decoder, or after a failure, which `nextFrame()` then reports).
   */
  nextBuffered(): T | undefined {
    const decoder = this.decoder
    if (decoder === undefined || this.failure !== undefined) return undefined
    try {
      for (;;) {
        const frame = decoder.next()
        if (frame !== undefined) {
          this.decoded++
          return frame
        }
        if (this.listIndex >= this.listBufs.length) return undefined
        decoder.push(this.listBufs[this.listIndex++] as Uint8Array)
      }
    } catch (err) {
      this.failure = { error: err }
      throw err
    }
  }

  /** `pending`, asked for first if nobody did: the frame the next reader gets. */
  pendingFrame(): Promise<IteratorResult<T>> {
    this.pending ??= this.nextFrame()
    return this.pending
  }

  /** The codec has no decoder: frames come from its `decode` transform, through `nextFrame()` only. */
  get decoderless(): boolean {
    return this.decoder === undefined
  }

  /** The stream ended or failed: `nextFrame()` says which. */
  get ended(): boolean {
    return this.eof || this.failure !== undefined
  }

  /**
   * One read of the underlying source, for a caller that decodes its result with
   * {@link decodeBatch} in its own `then`: `request()`'s fast path, which so settles its reply one
   * promise hop after the bytes arrive instead of through `nextFrame()`'s frames. Call only when
   * {@link nextBuffered} returned `undefined` and the stream has not ended.
   */
  readBatch(): Promise<IteratorResult<readonly (Uint8Array | Uint8ArrayList)[]>> {
    return this.openBatches().next()
  }

  /**
   * Takes a result of {@link readBatch}: the first frame it completes, the end (`decoder.end()`'s
   * last frame or done), or `undefined` when the frame is still incomplete (then read on with
   * `nextFrame()`). Throws, and remembers, a codec error as `nextFrame()` does.
   */
  decodeBatch(
    result: IteratorResult<readonly (Uint8Array | Uint8ArrayList)[]>,
  ): IteratorResult<T> | undefined {
    const decoder = this.decoder as FrameDecoder<T>
    try {
      if (result.done === true) {
        this.eof = true
        const last = decoder.end()
        if (last === undefined) return DONE
        this.decoded++
        return { done: false, value: last }
      }
    } catch (err) {
      this.failure = { error: err }
      throw err
    }
    this.listBufs = buffersOf(result.value)
    this.listIndex = 0
    const frame = this.nextBuffered()
    return frame === undefined ? undefined : { done: false, value: frame }
  }

  /** `readBatch()` failed: remembered, as `nextFrame()` remembers a failure. */
  failed(err: unknown): void {
    this.failure ??= { error: err }
  }

  /** The next message: from the decoder if it has one, else after reading more. */
  async nextFrame(): Promise<IteratorResult<T>> {
    if (this.failure !== undefined) throw this.failure.error
    if (this.decoder === undefined) {
      try {
        this.fallback ??= this.codec.decode(iterate(this.openInput()))[Symbol.asyncIterator]()
        const result = await this.fallback.next()
        if (result.done !== true) this.decoded++
        return result
      } catch (err) {
        this.failure = { error: err }
        throw err
      }
    }
    const frame = this.nextBuffered()
    if (frame !== undefined) return { done: false, value: frame }
    for (;;) {
      if (this.eof) return DONE
      let result: IteratorResult<readonly (Uint8Array | Uint8ArrayList)[]>
      try {
        result = await this.readBatch()
      } catch (err) {
        this.failed(err)
        throw err
      }
      const decoded = this.decodeBatch(result)
      if (decoded !== undefined) return decoded
    }
  }

  /**
   * Stops decoding (the caller checked {@link replayable} and that nobody reads) and returns the
   * bytes read but not decoded, then the rest of the underlying source.
   */
  unwrap(): Unwrapped {
    const replay = this.decoder?.take() ?? []
    for (let i = this.listIndex; i < this.listBufs.length; i++) replay.push(this.listBufs[i] as Uint8Array)
    this.listBufs = []
    return {
      source: this.replayThenRest(replay, this.eof),
      takeReplay: () => replay.splice(0).filter((bytes) => bytes.length > 0),
    }
  }

  /** Yields `replay` (taking each item off it as it goes), then the rest of the source. */
  private async *replayThenRest(replay: Uint8Array[], eof: boolean): AsyncGenerator<Uint8Array> {
    for (let bytes = replay.shift(); bytes !== undefined; bytes = replay.shift()) {
      if (bytes.length > 0) yield bytes
    }
    if (eof) return
    const input = this.openInput()
    for (;;) {
      const result = await input.next()
      if (result.done === true) return
      const chunk = result.value
      if (chunk instanceof Uint8Array || !isUint8ArrayList(chunk)) yield chunk
      else yield* chunk
    }
  }

  /**
   * The underlying source's batches: a connection hands over every chunk it has queued at once, so a
   * read waits on the socket directly, with no generator between.
   */
  private openBatches(): AsyncIterator<readonly (Uint8Array | Uint8ArrayList)[]> {
    this.input ??= batchesOf(this.source)[Symbol.asyncIterator]()
    return this.input
  }

  /** The underlying source item by item (read through the same batches). */
  private openInput(): AsyncIterator<Uint8Array | Uint8ArrayList> {
    this.itemInput ??= itemsOf(this.openBatches())
    return this.itemInput
  }
}

/** The items of an iterator of batches, in order. */
async function* itemsOf<T>(batches: AsyncIterator<readonly T[]>): AsyncGenerator<T> {
  for (;;) {
    const result = await batches.next()
    if (result.done === true) return
    yield* result.value
  }
}

/** An async iterable over an iterator, that leaves the iterator open when the loop stops early. */
async function* iterate<T>(iterator: Iterator<T> | AsyncIterator<T>): AsyncGenerator<T> {
  for (;;) {
    const result = await iterator.next()
    if (result.done === true) return
    yield result.value
  }
}

/** What `raceAbort()` resolves with when the signal aborted first. */
const ABORTED: unique symbol = Symbol('aborted')

/**
 * Resolves or rejects as `promise` does, unless `signal` aborts first: then resolves `ABORTED`, and
 * what `promise` brings later is left to whoever else awaits it.
 */
function raceAbort<R>(promise: Promise<R>, signal: AbortSignal): Promise<R | typeof ABORTED> {
  return new Promise<R | typeof ABORTED>((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}
