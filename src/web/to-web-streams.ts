/**
 * `toWebStreams()`: a connection (or any byte duplex with its close contract) as a WHATWG
 * `ReadableStream` / `WritableStream` pair, for code written against web streams (`pipeTo`,
 * `TextDecoderStream`, a BYOB reader). Uses only the web stream globals: no Node.js module.
 *
 * @module
 */
import { isUint8ArrayList, type Uint8ArrayList } from 'uint8arraylist'
import { describeType, describeValue } from '../describe.js'
import { AbortError, SocketClosedError } from '../errors.js'
import { WEB_STREAM_HIGH_WATER_MARK } from '../limits.js'

/**
 * What {@link toWebStreams} adapts: a `Connection`, an end of `duplexPair()`, what `framed().unwrap()`
 * returned, or any byte duplex that keeps the close contract (docs/CLOSE.md).
 */
export interface ToWebStreamsDuplex {
  /** The bytes received; read once, left early (`return()`) on `cancel()`. */
  readonly source: AsyncIterable<Uint8Array | Uint8ArrayList>
  /** Called once, at once, with the chunks written to the writable; their end half-closes. */
  readonly sink: (source: AsyncGenerator<Uint8Array, void, undefined>) => Promise<unknown>
  /** Destroys the duplex with `err`: what `writable.abort(reason)` calls, when there is one. */
  abort?(err: Error): void
  /** Resolves once fully closed: `closed` waits for it too, when there is one. */
  readonly closed?: Promise<void>
}

/** Options of {@link toWebStreams}. */
export interface ToWebStreamsOptions {
  /**
   * Bytes the readable reads ahead of its reader and queues, a non-negative integer. At `0` it reads
   * only when a reader asks, so bytes nobody reads stay in the connection's own bounded queue and the
   * kernel pushes back on the peer.
   * @default 0
   */
  readableHighWaterMark?: number
  /**
   * Bytes the writable queues (written, not yet taken by the connection) before `writer.ready`
   * waits, a positive integer. The connection takes a chunk only while Node.js's own write buffer is
   * below `SOCKET_HIGH_WATER_MARK`, so a writer that awaits `ready` holds at most this plus 64 KiB
   * plus one chunk.
   * @default WEB_STREAM_HIGH_WATER_MARK (64 KiB)
   */
  writableHighWaterMark?: number
}

/** What {@link toWebStreams} returns: the two directions of a connection as web streams. */
export interface WebStreams {
  /**
   * The bytes received, as a byte stream (`type: 'bytes'`): `getReader()` and
   * `getReader({ mode: 'byob' })` both work. Ends at the peer's half-close; `read()` rejects with the
   * connection's error (`ConnectionResetError` on a peer reset, after the bytes that arrived before
   * it). `cancel()` stops reading without destroying the connection, which keeps writing.
   */
  readonly readable: ReadableStream<Uint8Array>
  /**
   * Writes to the connection. `write()` copies its chunk (the caller may reuse the buffer) and
   * resolves once the connection has taken it; `writer.ready` waits while the socket's write buffer
   * is full (backpressure). `close()` half-closes (FIN) and resolves once that is handed to the OS;
   * `abort(reason)` destroys the connection with `reason`. A chunk that is not a `Uint8Array`
   * rejects with `TypeError` and aborts the connection.
   */
  readonly writable: WritableStream<Uint8Array>
  /**
   * Settles once both directions are done: the readable ended (the peer's half-close was read) or
   * was cancelled, and the writable was closed; then, for a connection, once its socket has fully
   * closed (`conn.closed`). Rejects as soon as either direction fails, with that error (a peer reset,
   * the reason given to `writable.abort()`, a write error). A rejection nobody awaits is not reported
   * as unhandled.
   */
  readonly closed: Promise<void>
}

/**
 * A connection as a web `ReadableStream` of bytes and a `WritableStream`, so code written for web
 * streams (Deno, browsers, Cloudflare Workers) runs over an it-socket connection:
 *
 * ```ts
 * const { readable, writable } = toWebStreams(conn)
 * await readable.pipeThrough(new TextDecoderStream()).pipeTo(consoleSink)
 * ```
 *
 * | web stream action           | effect on the connection                                                  |
 * | --------------------------- | ------------------------------------------------------------------------- |
 * | `reader.read()`             | pulls from `conn.source` (not before: a reader that stops stalls the peer) |
 * | `readable.cancel()`         | leaves `conn.source` early: stops reading, the socket is not destroyed     |
 * | `writer.write(chunk)`       | copies the chunk into `conn.sink`; resolves once the connection took it    |
 * | `writer.close()`            | ends `conn.sink`'s source: half-close (FIN)                                |
 * | `writer.abort(reason)`      | `conn.abort(reason)`: destroyed, both directions fail with `reason`        |
 *
 * `conn.sink` is called at once (a connection whose sink was already called makes the writable fail
 * with `SinkInUseError`); `conn.source` is read from the first `read()`.
 *
 * @throws {TypeError} at once, when `conn` has no `source` and `sink`
 * @throws {TypeError | RangeError} at once, for a bad high-water mark
 */
export function toWebStreams(conn: ToWebStreamsDuplex, options: ToWebStreamsOptions = {}): WebStreams {
  if (conn === null || typeof conn !== 'object') {
    throw new TypeError(`toWebStreams(): conn must be a duplex, got ${describeValue(conn)}`)
  }
  if (conn.source === null || typeof conn.source !== 'object' || typeof conn.sink !== 'function') {
    throw new TypeError('toWebStreams(): conn must have a source and a sink function')
  }
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`toWebStreams(): options must be an object, got ${describeValue(options)}`)
  }
  const readableHighWaterMark = byteCount('readableHighWaterMark', options.readableHighWaterMark, 0, 0)
  const writableHighWaterMark = byteCount(
    'writableHighWaterMark',
    options.writableHighWaterMark,
    WEB_STREAM_HIGH_WATER_MARK,
    1,
  )
  return new WebStreamsAdapter(conn, readableHighWaterMark, writableHighWaterMark)
}

/** Validates a high-water mark in bytes: an integer of at least `min`. */
function byteCount(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') {
    throw new TypeError(`toWebStreams(): ${name} must be a number of bytes, got ${describeValue(value)}`)
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`toWebStreams(): ${name} must be an integer of at least ${min} bytes, got ${value}`)
  }
  return value
}

/** What the writable hands the connection's sink: a chunk, the end, or the error to throw. */
type Feed = { chunk: Uint8Array; taken: () => void } | { end: true } | { error: Error }

/** The two streams over one duplex, and the state `closed` follows. */
class WebStreamsAdapter implements WebStreams {
  readonly readable: ReadableStream<Uint8Array>
  readonly writable: WritableStream<Uint8Array>
  readonly closed: Promise<void>

  private iterator: AsyncIterator<Uint8Array | Uint8ArrayList> | undefined
  /** The rest of a chunk a BYOB read had no room for: served first by the next read. */
  private leftover: Uint8Array | undefined
  private cancelled = false
  private readDone = false
  private writeDone = false
  private resolveClosed!: () => void
  private rejectClosed!: (err: unknown) => void

  /** The sink's generator, waiting for what the writable hands it. */
  private feedWaiter: ((item: Feed) => void) | undefined
  /** What the writable handed over before the generator waited (at most one: writes come one by one). */
  private fed: Feed | undefined
  /** The chunk the sink has been given and not yet taken, and how to fail its `write()`. */
  private inFlight: { reject: (err: unknown) => void } | undefined
  private writableController: WritableStreamDefaultController | undefined
  /** `close()` or `abort()` was called on the writable: it reports how the sink ended. */
  private ending = false
  private readonly sinkDone: Promise<unknown>

  constructor(
    private readonly conn: ToWebStreamsDuplex,
    readableHighWaterMark: number,
    writableHighWaterMark: number,
  ) {
    this.closed = new Promise<void>((resolve, reject) => {
      this.resolveClosed = resolve
      this.rejectClosed = reject
    })
    this.closed.catch(() => {}) // reported to whoever awaits it, not as an unhandled rejection

    this.readable = new ReadableStream(
      {
        type: 'bytes',
        pull: (controller) => this.pull(controller),
        cancel: () => this.cancel(),
      },
      { highWaterMark: readableHighWaterMark },
    )

    this.writable = new WritableStream<Uint8Array>(
      {
        start: (controller) => {
          this.writableController = controller
        },
        write: (chunk) => this.write(chunk),
        close: () => this.closeWritable(),
        abort: (reason) => this.abortWritable(reason),
      },
      {
        highWaterMark: writableHighWaterMark,
        size: (chunk) => (chunk instanceof Uint8Array ? chunk.byteLength : 0),
      },
    )

    this.sinkDone = this.startSink()
  }

  // --- The readable ---

  /** A reader asked (or the queue is below its high-water mark): one chunk from the source. */
  private async pull(controller: ReadableByteStreamController): Promise<void> {
    let chunk = this.leftover
    this.leftover = undefined
    while (chunk === undefined) {
      this.iterator ??= this.conn.source[Symbol.asyncIterator]()
      let result: IteratorResult<Uint8Array | Uint8ArrayList>
      try {
        result = await this.iterator.next()
      } catch (err) {
        if (this.cancelled) return
        controller.error(err)
        this.finishRead(err)
        return
      }
      if (this.cancelled) return // cancel() ran while this read waited
      if (result.done === true) {
        controller.close()
        // A BYOB read waiting when the stream closes is answered with an empty view.
        controller.byobRequest?.respond(0)
        this.finishRead()
        return
      }
      const value: unknown = result.value
      if (value instanceof Uint8Array) chunk = value
      else if (isUint8ArrayList(value)) chunk = value.subarray()
      else {
        const err = new TypeError(
          `toWebStreams(): the source yielded ${describeType(value)}: a byte stream needs Uint8Array chunks`,
        )
        controller.error(err)
        void this.iterator.return?.()
        this.finishRead(err)
        return
      }
      if (chunk.byteLength === 0) chunk = undefined // a byte stream cannot enqueue an empty chunk
    }
    const request = controller.byobRequest
    const view = request?.view
    if (request != null && view != null) {
      // A BYOB reader: copy into its buffer; what does not fit waits for the next read.
      const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
      const n = Math.min(target.byteLength, chunk.byteLength)
      target.set(chunk.subarray(0, n))
      if (n < chunk.byteLength) this.leftover = chunk.subarray(n)
      request.respond(n)
    } else {
      // A copy: enqueue() transfers the buffer, which may be shared (Node.js pools small buffers).
      controller.enqueue(chunk.slice())
    }
  }

  /** `readable.cancel()`: leave the source early, which stops reading without destroying. */
  private async cancel(): Promise<void> {
    this.cancelled = true
    this.leftover = undefined
    this.iterator ??= this.conn.source[Symbol.asyncIterator]()
    try {
      await this.iterator.return?.()
    } finally {
      this.finishRead()
    }
  }

  private finishRead(err?: unknown): void {
    if (this.readDone) return
    this.readDone = true
    this.settle(err)
  }

  // --- The writable ---

  /** Calls the duplex's sink at once with a generator the writable feeds. */
  private startSink(): Promise<unknown> {
    let done: Promise<unknown>
    try {
      done = Promise.resolve(this.conn.sink(this.feed()))
    } catch (err) {
      done = Promise.reject(err)
    }
    done.then(
      () => this.sinkSettled(new SocketClosedError('toWebStreams(): the connection stopped taking writes')),
      (err: unknown) => this.sinkSettled(err),
    )
    return done
  }

  /**
   * The sink finished or failed before the writable ended it (a connection error, a sink that stops
   * early): a write waiting on it fails, and so does the writable. After `close()` or `abort()`,
   * those report the outcome themselves.
   */
  private sinkSettled(err: unknown): void {
    const inFlight = this.inFlight
    this.inFlight = undefined
    if (this.writeDone || this.ending) return
    if (inFlight !== undefined) inFlight.reject(err)
    else this.writableController?.error(err)
    this.finishWrite(err)
  }

  /** The source of the duplex's sink: each chunk written, until the writable closes or aborts. */
  private async *feed(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const item = await this.nextFed()
      if ('end' in item) return
      if ('error' in item) throw item.error
      yield item.chunk
      // Asked for the next chunk: the sink has taken this one and is not waiting for a drain.
      item.taken()
    }
  }

  private nextFed(): Promise<Feed> {
    const fed = this.fed
    if (fed !== undefined) {
      this.fed = undefined
      return Promise.resolve(fed)
    }
    return new Promise<Feed>((resolve) => {
      this.feedWaiter = resolve
    })
  }

  private offer(item: Feed): void {
    const waiter = this.feedWaiter
    if (waiter !== undefined) {
      this.feedWaiter = undefined
      waiter(item)
    } else this.fed = item
  }

  private write(chunk: unknown): Promise<void> | undefined {
    if (!(chunk instanceof Uint8Array)) {
      const err = new TypeError(
        `toWebStreams(): cannot write ${describeType(chunk)}: the writable takes Uint8Array chunks`,
      )
      this.conn.abort?.(err)
      this.offer({ error: err })
      throw err
    }
    if (chunk.byteLength === 0) return undefined
    return new Promise<void>((resolve, reject) => {
      this.inFlight = { reject }
      this.offer({
        chunk: chunk.slice(),
        taken: () => {
          this.inFlight = undefined
          resolve()
        },
      })
    })
  }

  /** `writer.close()`: the sink's source ends, which half-closes; resolves once the sink has. */
  private async closeWritable(): Promise<void> {
    this.ending = true
    this.offer({ end: true })
    try {
      await this.sinkDone
    } catch (err) {
      this.finishWrite(err)
      throw err
    }
    this.finishWrite()
  }

  /** `writer.abort(reason)`: destroys the connection with `reason`. */
  private async abortWritable(reason: unknown): Promise<void> {
    const err =
      reason instanceof Error
        ? reason
        : new AbortError('toWebStreams(): the writable was aborted', { cause: reason })
    this.ending = true
    this.conn.abort?.(err)
    this.offer({ error: err })
    this.finishWrite(err)
    await this.sinkDone.catch(() => {})
  }

  private finishWrite(err?: unknown): void {
    if (this.writeDone) return
    this.writeDone = true
    this.settle(err)
  }

  /** `closed`: rejects on the first error; resolves once both directions are done and the duplex closed. */
  private settle(err: unknown): void {
    if (err !== undefined) {
      this.rejectClosed(err)
      return
    }
    if (!(this.readDone && this.writeDone)) return
    const closed = this.conn.closed
    if (closed === undefined) this.resolveClosed()
    else closed.then(this.resolveClosed, this.rejectClosed)
  }
}
