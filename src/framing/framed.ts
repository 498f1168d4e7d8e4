/**
 * `framed()`: a duplex of messages over a byte duplex, and its public types. `FramedDuplex` checks
 * who may use the stream now and hands each call to the read side (`frame-reader.ts`), the write side
 * (`frame-writer.ts`) or the pipelined requests (`requests.ts`).
 *
 * @module
 */
import type { Sink, Source } from 'it-stream-types'
import type { Uint8ArrayList } from 'uint8arraylist'
import { AbortError, ReadInUseError, SinkInUseError, UnwrappedError } from '../errors.js'
import { MAX_OUTSTANDING_REQUESTS } from '../limits.js'
import type { Codec } from './codec.js'
import { FrameReader, IDLE, READ, REQUESTS, SOURCE } from './frame-reader.js'
import { FrameWriter } from './frame-writer.js'
import { Requests } from './requests.js'

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
  /** The bytes received, read once by `framed()`. */
  source: Source<Uint8Array | Uint8ArrayList>
  /** Writes the encoded bytes; called at most once, on the first write. */
  sink: Sink<AsyncGenerator<Uint8Array | Uint8ArrayList>, unknown>
}

/** The byte duplex `unwrap()` hands back. */
export interface UnwrappedDuplex {
  /** The bytes read but not decoded, then the rest of the underlying source. */
  source: AsyncGenerator<Uint8Array>
  /** Writes to the underlying connection after what was written before; call once. Its end half-closes. */
  sink: (source: Source<Uint8Array | Uint8ArrayList>) => Promise<void>
}

/** Options of `framed()`. */
export interface FramedOptions {
  /**
   * Requests `request()` has sent and not had a reply to, at most: later calls wait, unsent, in
   * call order, for a reply to free a slot. A positive integer, or `Infinity` for no bound. Each one
   * in flight is a message the peer holds unanswered.
   * @default 1024 (`MAX_OUTSTANDING_REQUESTS`)
   */
  maxOutstandingRequests?: number
}

/** A duplex of messages over a byte duplex: see `framed()`. */
export interface Framed<T> {
  /**
   * The messages read, until the peer ends its side. Iterable once; breaking out leaves the
   * connection open. Throws `ReadInUseError` when asked for a message while a `read()` is pending or
   * `request()`s await replies.
   */
  source: AsyncGenerator<T>
  /** Writes every message of `source`; when it ends, the write side half-closes. Call once. */
  sink: (source: Source<T>) => Promise<void>
  /**
   * The next message, or `undefined` once the peer ended its side. Throws `ReadInUseError` while
   * another `read()` is pending, `source` waits for a message or `request()`s await replies. Aborted
   * by its signal, it rejects with `AbortError` and loses nothing: the message goes to the next reader.
   */
  read(options?: AbortOptions): Promise<T | undefined>
  /**
   * Queues one message; resolves once the connection has taken it (with the messages queued in the
   * same burst). Await it for backpressure. Rejects if the connection fails first.
   */
  write(message: T, options?: AbortOptions): Promise<void>
  /**
   * Sends `message` and resolves with its reply: the peer is taken to answer requests in order, one
   * message each (Redis, most RPC over TCP). Calls may overlap: each is sent at once (a burst leaves
   * together) and paired with replies first in, first out; past `maxOutstandingRequests` unanswered,
   * calls wait unsent for a reply to free a slot.
   *
   * Aborted before it was sent, a request is withdrawn (never sent); aborted after, it rejects with
   * `AbortError` at once, but its slot stays taken until its reply comes, and that reply is dropped.
   * A connection or codec failure rejects every request sent or waiting with that error; the end of
   * the stream rejects them with `UnexpectedEndError`. Throws `ReadInUseError`, sending nothing,
   * while a `read()` is pending or `source` waits for a message.
   */
  request(message: T, options?: AbortOptions): Promise<T>
  /** Stops framing and returns the byte duplex underneath, with bytes read but not decoded replayed first. */
  unwrap(): UnwrappedDuplex
  /**
   * Messages decoded from the peer and encoded to it so far, as a new plain object; the byte counts
   * are the connection's (`conn.stats`).
   */
  readonly stats: FramedStats
}

/** A snapshot of a framed stream's counters: `framed(conn, codec).stats`. */
export interface FramedStats {
  /** Messages the codec decoded (handed to `source`, `read()` or a request's reply, or waiting for one). */
  readonly messagesDecoded: number
  /** Messages the codec encoded (by `write()`, `sink()` and `request()`), sent or queued. */
  readonly messagesEncoded: number
}

/**
 * A duplex of messages over a byte duplex, like tokio's `Framed`: the codec decodes what the
 * connection's `source` yields and encodes what is written to its `sink`.
 *
 * ```ts
 * const f = framed(conn, lines())
 * for await (const line of f.source) console.log(line)       // or: await f.read()
 * await pipe(['hello', 'world'], f)                           // f.sink: writes, then half-closes
 * const reply = await f.request('PING')                       // write, then read one message
 * const replies = await Promise.all(keys.map((k) => f.request(`GET ${k}`))) // pipelined, in order
 * ```
 *
 * Reading: `source`, `read()` and `request()` take messages from one decoder, in order, and every
 * message decoded goes to exactly one of them. Use one at a time: reading while another read waits
 * for a message throws `ReadInUseError`. A `read()` aborted by its signal loses nothing: the message
 * it was waiting for goes to the next reader. Breaking out of `source` ends `source` only: `read()`
 * and `unwrap()` go on from where it stopped, and the connection stays open. At the end of the
 * stream, `read()` resolves `undefined`; a codec error (`FrameTooLongError`, ...) rejects that read
 * and every later one.
 *
 * Requests: overlapping `request()` calls are pipelined (see {@link Framed.request}), at most
 * `options.maxOutstandingRequests` unanswered at a time.
 *
 * Writing: `write()`, `sink()` and the unwrapped sink feed one queue, which is given to the
 * underlying `sink` on the first write, so the connection's sink is called once; messages queued
 * while it is busy reach it together, as one `Uint8ArrayList` (up to 1,024 messages). The write
 * side half-closes (FIN) only when the source given to `sink()` ends: call `sink([])` to half-close
 * after `write()`s. If the connection fails, pending and later writes reject with its error.
 *
 * `unwrap()` hands the connection back as bytes, to switch protocol: see {@link Framed.unwrap}. Any
 * use of the framed stream after it throws `UnwrappedError`.
 *
 * @throws {TypeError | RangeError} at once, unless `maxOutstandingRequests` is a positive integer or `Infinity`
 */
export function framed<T>(duplex: ByteDuplex, codec: Codec<T>, options: FramedOptions = {}): Framed<T> {
  const maxOutstandingRequests = options.maxOutstandingRequests ?? MAX_OUTSTANDING_REQUESTS
  if (typeof maxOutstandingRequests !== 'number') {
    throw new TypeError(`maxOutstandingRequests must be a number, got ${typeof maxOutstandingRequests}`)
  }
  if (
    !(
      maxOutstandingRequests === Infinity ||
      (Number.isInteger(maxOutstandingRequests) && maxOutstandingRequests >= 1)
    )
  ) {
    throw new RangeError(
      `maxOutstandingRequests must be a positive integer or Infinity, got ${maxOutstandingRequests}`,
    )
  }
  return new FramedDuplex(duplex, codec, maxOutstandingRequests)
}

/** @internal Where an unwrapped duplex came from: see {@link unwrapOrigin}. */
export interface UnwrapOrigin {
  /** The byte duplex `framed()` wrapped (a connection, or an earlier unwrapped duplex). */
  readonly duplex: ByteDuplex
  /** Takes the bytes read but not decoded that the unwrapped `source` has not yielded yet. */
  takeReplay(): Uint8Array[]
}

const origins = new WeakMap<UnwrappedDuplex, UnwrapOrigin>()

/**
 * @internal For `startTls()` given what `unwrap()` returned: the duplex underneath, and the bytes
 * read past the upgrade point that must reach the handshake. `undefined` for anything else.
 */
export function unwrapOrigin(duplex: object): UnwrapOrigin | undefined {
  return origins.get(duplex as UnwrappedDuplex)
}

/**
 * What `framed()` returns: checks each call against the stream's state, then hands it on. `read()`,
 * `write()`, `request()` and `sink` are not async functions: each returns the promise of the part it
 * hands the call to as is, without extra ticks.
 */
class FramedDuplex<T> implements Framed<T> {
  readonly source: AsyncGenerator<T>
  private readonly frames: FrameReader<T>
  private readonly writer: FrameWriter<T>
  private readonly requests: Requests<T>
  private unwrapped = false

  constructor(
    private readonly duplex: ByteDuplex,
    codec: Codec<T>,
    maxOutstanding: number,
  ) {
    this.frames = new FrameReader(duplex.source, codec)
    this.writer = new FrameWriter(duplex, codec)
    this.requests = new Requests(this.frames, this.writer, codec, maxOutstanding)
    this.source = this.messages()
  }

  get stats(): FramedStats {
    return { messagesDecoded: this.frames.decoded, messagesEncoded: this.writer.encoded }
  }

  read(options?: AbortOptions): Promise<T | undefined> {
    const signal = options?.signal
    if (signal?.aborted === true) {
      return Promise.reject(new AbortError('read() was aborted', { cause: signal.reason }))
    }
    if (this.unwrapped) {
      return Promise.reject(new UnwrappedError('Cannot read: the framed stream was unwrapped'))
    }
    if (this.frames.reader !== IDLE) {
      return Promise.reject(new ReadInUseError(`Cannot read: ${this.readerState()}`))
    }
    return this.frames.read(signal)
  }

  write(message: T, options?: AbortOptions): Promise<void> {
    const signal = options?.signal
    if (signal?.aborted === true) {
      return Promise.reject(new AbortError('write() was aborted', { cause: signal.reason }))
    }
    if (this.unwrapped) {
      return Promise.reject(new UnwrappedError('Cannot write: the framed stream was unwrapped'))
    }
    return this.writer.write(message, signal)
  }

  request(message: T, options?: AbortOptions): Promise<T> {
    const signal = options?.signal
    if (signal?.aborted === true) {
      return Promise.reject(
        new AbortError('request() was aborted before it was sent', { cause: signal.reason }),
      )
    }
    if (this.unwrapped) {
      return Promise.reject(new UnwrappedError('Cannot request: the framed stream was unwrapped'))
    }
    const { reader } = this.frames
    if (reader === READ || reader === SOURCE) {
      return Promise.reject(new ReadInUseError(`Cannot request: ${this.readerState()}`))
    }
    return this.requests.request(message, signal)
  }

  readonly sink = (source: Source<T>): Promise<void> => {
    if (this.unwrapped) {
      return Promise.reject(new UnwrappedError('Cannot write: the framed stream was unwrapped'))
    }
    return this.writer.sink(source)
  }

  /**
   * Stops framing and returns the underlying byte duplex, to switch protocol mid-connection (tokio's
   * `Framed::into_parts`, it-byte-stream's `unwrap()`): its `source` first replays the bytes read from
   * the connection but not decoded (the next protocol may begin in the chunk that ended the last
   * message), then goes on with the connection's source; its `sink` writes to the same connection
   * after every message already queued, so the connection's own sink is still called only once.
   *
   * The framed stream can no longer be read or written: any use throws `UnwrappedError`. Throws
   * `ReadInUseError` while a read waits for a message (a `read()`, `source`, `request()`s awaiting
   * replies, or a message an aborted `read()` left for the next reader), `SinkInUseError` while
   * `sink()` is writing, and `TypeError` for a codec without `createDecoder` once reading began.
   */
  unwrap(): UnwrappedDuplex {
    if (this.unwrapped) throw new UnwrappedError('Cannot unwrap: unwrap() was already called')
    if (this.frames.reader !== IDLE) throw new ReadInUseError(`Cannot unwrap: ${this.readerState()}`)
    if (this.frames.pending !== undefined) {
      throw new ReadInUseError(
        'Cannot unwrap: an aborted read() left a message for the next reader; read() it first',
      )
    }
    if (this.writer.sinkActive) throw new SinkInUseError('Cannot unwrap: sink() is writing')
    if (!this.frames.replayable) {
      throw new TypeError('Cannot unwrap after reading with a codec that has no createDecoder()')
    }
    this.unwrapped = true
    const { source, takeReplay } = this.frames.unwrap()
    const unwrapped: UnwrappedDuplex = { source, sink: this.writer.unwrap() }
    origins.set(unwrapped, { duplex: this.duplex, takeReplay })
    return unwrapped
  }

  /** Who is reading, for `ReadInUseError` messages. */
  private readerState(): string {
    switch (this.frames.reader) {
      case READ:
        return 'a read() is pending'
      case SOURCE:
        return 'source is waiting for a message'
      case REQUESTS:
        return this.requests.describe()
      default:
        return 'nothing is reading'
    }
  }

  /** `source`: reads until the end; takes the decoder's frames directly while it has some. */
  private async *messages(): AsyncGenerator<T> {
    const frames = this.frames
    for (;;) {
      if (this.unwrapped) throw new UnwrappedError('Cannot read source: the framed stream was unwrapped')
      if (frames.reader !== IDLE) throw new ReadInUseError(`Cannot read source: ${this.readerState()}`)
      let frame = frames.pending === undefined ? frames.nextBuffered() : undefined
      if (frame === undefined) {
        const next = frames.pendingFrame()
        frames.reader = SOURCE
        let result: IteratorResult<T>
        try {
          result = await next
        } finally {
          frames.reader = IDLE
          frames.pending = undefined
        }
        if (result.done === true) return
        frame = result.value
      }
      yield frame
    }
  }
}
