import type { Sink, Source } from 'it-stream-types'
import { isUint8ArrayList, Uint8ArrayList } from 'uint8arraylist'
import { batchesOf } from '../batches.js'
import { AbortError, SinkInUseError, UnexpectedEndError } from '../errors.js'
import type { Codec, FrameDecoder } from './codec.js'
import { Outbox } from './outbox.js'

/** Options of an async operation that can be cancelled. */
export interface AbortOptions {
  /** Cancels the operation: it rejects with `AbortError` (its `cause` is the signal's reason). */
  signal?: AbortSignal
}

/**
 * What `framed()` wraps: a byte duplex such as a connection, or what `unwrap()` returned. Its `source`
 * is read once; its `sink` is called at most once, lazily, on the first write.
 */
export interface ByteDuplex {
  source: Source<Uint8Array | Uint8ArrayList>
  sink: Sink<AsyncGenerator<Uint8Array | Uint8ArrayList>, unknown>
}

/** The byte duplex `unwrap()` hands back. */
export interface UnwrappedDuplex {
  /** The bytes read but not decoded, then the rest of the underlying source. */
  source: AsyncGenerator<Uint8Array>
  /** Writes to the underlying connection after what was written before; call once. Its end half-closes. */
  sink: (source: Source<Uint8Array | Uint8ArrayList>) => Promise<void>
}

/** A duplex of messages over a byte duplex: see `framed()`. */
export interface Framed<T> {
  /** The messages read, until the peer ends its side. Iterable once; breaking out leaves the connection open. */
  source: AsyncGenerator<T>
  /** Writes every message of `source`; when it ends, the write side half-closes. Call once. */
  sink: (source: Source<T>) => Promise<void>
  /** The next message, or `undefined` once the peer ended its side. */
  read(options?: AbortOptions): Promise<T | undefined>
  /**
   * Queues one message; resolves once the connection has taken it (with the messages queued in the
   * same burst). Await it for backpressure. Rejects if the connection fails first.
   */
  write(message: T, options?: AbortOptions): Promise<void>
  /** Writes `message`, then reads the reply; rejects with `UnexpectedEndError` if the stream ends first. */
  request(message: T, options?: AbortOptions): Promise<T>
  /** Stops framing and returns the byte duplex underneath, with bytes read but not decoded replayed first. */
  unwrap(): UnwrappedDuplex
}

/**
 * Bytes `sink()` queues before waiting for the connection to take them (64 KiB): bounds the memory a
 * fast source can fill when the peer reads slowly. `write()` callers bound it by awaiting each write.
 */
const WRITE_HIGH_WATER_MARK = 64 * 1024

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined }

/**
 * A duplex of messages over a byte duplex, like tokio's `Framed`: the codec decodes what the
 * connection's `source` yields and encodes what is written to its `sink`.
 *
 * ```ts
 * const f = framed(conn, lines())
 * for await (const line of f.source) console.log(line)       // or: await f.read()
 * await pipe(['hello', 'world'], f)                           // f.sink: writes, then half-closes
 * const reply = await f.request('PING')                       // write, then read one message
 * ```
 *
 * Reading: `source`, `read()` and `request()` take messages from one decoder, in order; use one at a
 * time (a second `read()` while one is pending throws). A `read()` aborted by its signal loses
 * nothing: the message it was waiting for goes to the next read. Breaking out of `source` ends
 * `source` only: `read()` and `unwrap()` go on from where it stopped, and the connection stays open.
 * At the end of the stream, `read()` resolves `undefined`; a codec error (`FrameTooLongError`, ...)
 * rejects that read and every later one.
 *
 * Writing: `write()`, `sink()` and the unwrapped sink feed one queue, which is given to the
 * underlying `sink` on the first write, so the connection's sink is called once; messages queued
 * while it is busy reach it together, as one `Uint8ArrayList` (up to 1,024 messages). The write side half-closes (FIN) only when the source given to
 * `sink()` ends: call `sink([])` to half-close after `write()`s. If the connection fails, pending
 * and later writes reject with its error.
 *
 * `unwrap()` hands the connection back as bytes, to switch protocol: see {@link Framed.unwrap}.
 */
export function framed<T>(duplex: ByteDuplex, codec: Codec<T>): Framed<T> {
  return new FramedDuplex(duplex, codec)
}

class FramedDuplex<T> implements Framed<T> {
  readonly source: AsyncGenerator<T>
  private readonly outbox = new Outbox(WRITE_HIGH_WATER_MARK)
  private sinkStarted: Promise<void> | undefined
  private sinkCalled = false
  private sinkActive = false
  private unwrapped = false

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
  private failure: { error: unknown } | undefined
  /** A frame being waited for, kept when the read waiting for it was aborted. */
  private pending: Promise<IteratorResult<T>> | undefined
  private reading = false
  /** Orders writes for codecs without `encodeFrame`. */
  private encodeChain: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly duplex: ByteDuplex,
    private readonly codec: Codec<T>,
  ) {
    this.decoder = codec.createDecoder?.()
    this.source = this.messages()
  }

  async read(options: AbortOptions = {}): Promise<T | undefined> {
    const { signal } = options
    if (signal?.aborted === true) throw new AbortError('read() was aborted', { cause: signal.reason })
    if (this.unwrapped) throw new Error('Cannot read: the framed stream was unwrapped')
    if (this.reading) throw new Error('Cannot read: another read() is pending')
    this.reading = true
    try {
      if (signal === undefined && this.pending === undefined) {
        // Nothing can abandon this read: wait on the frame loop itself, no bookkeeping.
        const result = await this.nextFrame()
        return result.done === true ? undefined : result.value
      }
      let next = this.pending
      if (next === undefined) {
        const promise = this.nextFrame()
        const clear = (): void => {
          if (this.pending === promise) this.pending = undefined
        }
        promise.then(clear, clear)
        this.pending = next = promise
      }
      const result = signal === undefined ? await next : await raceAbort(next, signal)
      return result.done === true ? undefined : result.value
    } finally {
      this.reading = false
    }
  }

  write(message: T, options: AbortOptions = {}): Promise<void> {
    // Not an async function: it returns the outbox's promise as is, without extra ticks.
    const { signal } = options
    if (signal?.aborted === true) {
      return Promise.reject(new AbortError('write() was aborted', { cause: signal.reason }))
    }
    if (this.unwrapped) return Promise.reject(new Error('Cannot write: the framed stream was unwrapped'))
    const { encodeFrame } = this.codec
    if (encodeFrame !== undefined) {
      let chunk: Uint8Array | Uint8ArrayList
      try {
        chunk = encodeFrame(message)
      } catch (err) {
        return Promise.reject(err)
      }
      this.startSink()
      return this.outbox.enqueue(chunk, signal)
    }
    // Codecs with only `encode`: encode in order, then queue without waiting for earlier writes.
    const queued = this.encodeChain.then(async () => {
      const chunk = await encodeOne(this.codec, message)
      this.startSink()
      return { taken: this.outbox.enqueue(chunk, signal) }
    })
    this.encodeChain = queued.catch(() => undefined)
    return queued.then(({ taken }) => taken)
  }

  async request(message: T, options: AbortOptions = {}): Promise<T> {
    await this.write(message, options)
    let reply: T | undefined
    if (options.signal === undefined && !this.reading && this.pending === undefined && !this.unwrapped) {
      // read() without a signal, one hop shorter: the reply wakes this function directly.
      this.reading = true
      try {
        const result = await this.nextFrame()
        reply = result.done === true ? undefined : result.value
      } finally {
        this.reading = false
      }
    } else reply = await this.read(options)
    if (reply === undefined) {
      throw new UnexpectedEndError('Cannot read reply: the stream ended before a reply to the request')
    }
    return reply
  }

  readonly sink = async (source: Source<T>): Promise<void> => {
    if (this.sinkCalled) throw new SinkInUseError('sink() may be called only once per framed stream')
    if (this.unwrapped) throw new Error('Cannot write: the framed stream was unwrapped')
    this.sinkCalled = true
    this.sinkActive = true
    try {
      this.startSink()
      const { encodeFrame } = this.codec
      for await (const message of source) {
        this.outbox.push(
          encodeFrame !== undefined ? encodeFrame(message) : await encodeOne(this.codec, message),
        )
        if (this.outbox.full) await this.outbox.room()
      }
      await this.encodeChain
      this.outbox.end()
    } catch (err) {
      this.outbox.abort(err)
      throw err
    } finally {
      this.sinkActive = false
    }
    await this.sinkStarted
  }

  /**
   * Stops framing and returns the underlying byte duplex, to switch protocol mid-connection (tokio's
   * `Framed::into_parts`, it-byte-stream's `unwrap()`): its `source` first replays the bytes read from
   * the connection but not decoded (the next protocol may begin in the chunk that ended the last
   * message), then goes on with the connection's source; its `sink` writes to the same connection
   * after every message already queued, so the connection's own sink is still called only once.
   *
   * The framed stream can no longer be read or written. Throws if a `read()` is pending, while
   * `sink()` is writing, or (codecs without `createDecoder`) after reading began.
   */
  unwrap(): UnwrappedDuplex {
    if (this.unwrapped) throw new Error('Cannot unwrap: unwrap() was already called')
    if (this.reading || this.pending !== undefined) throw new Error('Cannot unwrap: a read() is pending')
    if (this.sinkActive) throw new Error('Cannot unwrap: sink() is writing')
    if (this.decoder === undefined && this.fallback !== undefined) {
      throw new TypeError('Cannot unwrap after reading with a codec that has no createDecoder()')
    }
    this.unwrapped = true
    const replay = this.decoder?.take() ?? []
    for (let i = this.listIndex; i < this.listBufs.length; i++) replay.push(this.listBufs[i] as Uint8Array)
    this.listBufs = []
    const eof = this.eof
    let sinkCalled = false
    return {
      source: (async function* (self: FramedDuplex<T>) {
        for (const bytes of replay) if (bytes.length > 0) yield bytes
        if (eof) return
        const input = self.openInput()
        for (;;) {
          const result = await input.next()
          if (result.done === true) return
          const chunk = result.value
          if (chunk instanceof Uint8Array || !isUint8ArrayList(chunk)) yield chunk
          else yield* chunk
        }
      })(this),
      sink: async (source) => {
        if (sinkCalled) throw new SinkInUseError('sink() may be called only once per connection')
        sinkCalled = true
        if (this.outbox.closedError !== undefined) throw this.outbox.closedError
        try {
          this.startSink()
          for await (const chunk of source) {
            this.outbox.push(chunk)
            if (this.outbox.full) await this.outbox.room()
          }
          this.outbox.end()
        } catch (err) {
          this.outbox.abort(err)
          throw err
        }
        await this.sinkStarted
      },
    }
  }

  /** Calls the underlying sink, once, with the outbox's drain. */
  private startSink(): void {
    if (this.sinkStarted !== undefined) return
    const started = (async () => {
      await this.duplex.sink(this.outbox.drain())
    })()
    // A sink that stops (or fails) leaves nobody to take what is queued: fail those writes.
    started.catch((err: unknown) => this.outbox.fail(err))
    this.sinkStarted = started
  }

  /**
   * The underlying source's batches: a connection hands over every chunk it has queued at once, so a
   * read waits on the socket directly, with no generator between.
   */
  private openBatches(): AsyncIterator<readonly (Uint8Array | Uint8ArrayList)[]> {
    this.input ??= batchesOf(this.duplex.source)[Symbol.asyncIterator]()
    return this.input
  }

  /** The underlying source item by item (read through the same batches). */
  private openInput(): AsyncIterator<Uint8Array | Uint8ArrayList> {
    this.itemInput ??= itemsOf(this.openBatches())
    return this.itemInput
  }

  /** The next message: from the decoder if it has one, else after reading more. */
  private async nextFrame(): Promise<IteratorResult<T>> {
    if (this.failure !== undefined) throw this.failure.error
    try {
      const decoder = this.decoder
      if (decoder === undefined) {
        this.fallback ??= this.codec.decode(iterate(this.openInput()))[Symbol.asyncIterator]()
        return await this.fallback.next()
      }
      for (;;) {
        const frame = decoder.next()
        if (frame !== undefined) return { done: false, value: frame }
        if (this.listIndex < this.listBufs.length) {
          decoder.push(this.listBufs[this.listIndex++] as Uint8Array)
          continue
        }
        if (this.eof) return DONE
        const result = await this.openBatches().next()
        if (result.done === true) {
          this.eof = true
          const last = decoder.end()
          return last === undefined ? DONE : { done: false, value: last }
        }
        this.listBufs = buffersOf(result.value)
        this.listIndex = 0
      }
    } catch (err) {
      this.failure = { error: err }
      throw err
    }
  }

  /** `source`: reads until the end; takes the decoder's frames directly while it has some. */
  private async *messages(): AsyncGenerator<T> {
    const decoder = this.decoder
    for (;;) {
      if (this.unwrapped) return
      let frame: T | undefined
      if (decoder !== undefined && this.pending === undefined && this.failure === undefined) {
        try {
          frame = decoder.next()
        } catch (err) {
          this.failure = { error: err }
          throw err
        }
      }
      if (frame === undefined) {
        if (this.reading) throw new Error('Cannot read the source while a read() is pending')
        const result = await (this.pending ?? this.nextFrame())
        if (result.done === true) return
        frame = result.value
      }
      yield frame
    }
  }
}

/** Encodes one message with a codec that has only `encode`. */
async function encodeOne<T>(codec: Codec<T>, message: T): Promise<Uint8Array | Uint8ArrayList> {
  const chunks: Array<Uint8Array | Uint8ArrayList> = []
  for await (const chunk of codec.encode([message])) chunks.push(chunk)
  return chunks.length === 1 ? (chunks[0] as Uint8Array | Uint8ArrayList) : new Uint8ArrayList(...chunks)
}

/** The buffers of a batch of chunks, lists taken apart (the batch itself when it holds no list). */
function buffersOf(batch: readonly (Uint8Array | Uint8ArrayList)[]): readonly Uint8Array[] {
  if (batch.every((chunk) => chunk instanceof Uint8Array)) return batch as readonly Uint8Array[]
  const buffers: Uint8Array[] = []
  for (const chunk of batch) {
    if (chunk instanceof Uint8Array || !isUint8ArrayList(chunk)) buffers.push(chunk)
    else for (const buf of chunk) buffers.push(buf)
  }
  return buffers
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

/** Resolves or rejects as `promise` does, unless `signal` aborts first (then rejects with `AbortError`). */
function raceAbort<R>(promise: Promise<R>, signal: AbortSignal): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortError('read() was aborted', { cause: signal.reason }))
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
