import type { Sink, Source } from 'it-stream-types'
import { isUint8ArrayList, Uint8ArrayList } from 'uint8arraylist'
import { batchesOf } from '../batches.js'
import { AbortError, ReadInUseError, SinkInUseError, UnexpectedEndError, UnwrappedError } from '../errors.js'
import { MAX_OUTSTANDING_REQUESTS } from '../limits.js'
import type { Codec, FrameDecoder } from './codec.js'
import { Outbox, OutboxEntry } from './outbox.js'

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

/** Who reads the decoder now (`reader`): nobody, a `read()`, `source`, or the replies to `request()`s. */
const IDLE = 0
const READ = 1
const SOURCE = 2
const REQUESTS = 3
type Reader = typeof IDLE | typeof READ | typeof SOURCE | typeof REQUESTS

/** Where a request stands (`PendingRequest.phase`). */
const WAITING = 0 // in `waiting`: no slot, not sent
const ENCODING = 1 // in `slots`, being encoded (codecs with only `encode`)
const QUEUED = 2 // in `slots` and in the outbox: withdrawable until the sink takes it
const SENT = 3 // in `slots`: the sink took it; its reply is due
const FINISHED = 4 // in no list: answered, withdrawn or failed
type Phase = typeof WAITING | typeof ENCODING | typeof QUEUED | typeof SENT | typeof FINISHED

const EMPTY = new Uint8Array(0)

/** What a `PendingRequest` reports to the stream that made it. */
interface RequestOwner<T> {
  /** The outbox failed before taking the request's message: the connection is broken. */
  failRequests(error: unknown): void
  /** The request's signal aborted. */
  abortRequest(request: PendingRequest<T>): void
}

/**
 * One `request()` past the fast path: its promise, its place in `waiting` or `slots` (linked through
 * the requests themselves), and, once sent, its message in the outbox.
 */
class PendingRequest<T> extends OutboxEntry {
  chunk: Uint8Array | Uint8ArrayList = EMPTY
  phase: Phase = WAITING
  /** The caller's promise is settled (answered, aborted or failed); the slot may still be taken. */
  settled = false
  prev: PendingRequest<T> | undefined
  next: PendingRequest<T> | undefined

  constructor(
    private readonly owner: RequestOwner<T>,
    readonly message: T,
    readonly signal: AbortSignal | undefined,
    private readonly resolve: (reply: T) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    super()
  }

  taken(): void {
    if (this.phase === QUEUED) this.phase = SENT
    this.chunk = EMPTY // written: only the reply is awaited now, the bytes need not stay in memory
  }

  failed(error: unknown): void {
    this.owner.failRequests(error)
  }

  /** The signal aborted (an object listener: no closure per request). */
  handleEvent(): void {
    this.owner.abortRequest(this)
  }

  answer(reply: T): void {
    if (this.settled) return
    this.settled = true
    this.signal?.removeEventListener('abort', this)
    this.resolve(reply)
  }

  fail(err: unknown): void {
    if (this.settled) return
    this.settled = true
    this.signal?.removeEventListener('abort', this)
    this.reject(err)
  }
}

/** A first-in, first-out list of requests, linked through them: O(1) push, shift and removal. */
class RequestQueue<T> {
  private head: PendingRequest<T> | undefined
  private tail: PendingRequest<T> | undefined
  size = 0

  push(request: PendingRequest<T>): void {
    request.prev = this.tail
    request.next = undefined
    if (this.tail === undefined) this.head = request
    else this.tail.next = request
    this.tail = request
    this.size++
  }

  shift(): PendingRequest<T> | undefined {
    const request = this.head
    if (request !== undefined) this.remove(request)
    return request
  }

  remove(request: PendingRequest<T>): void {
    if (request.prev === undefined) this.head = request.next
    else request.prev.next = request.next
    if (request.next === undefined) this.tail = request.prev
    else request.next.prev = request.prev
    request.prev = undefined
    request.next = undefined
    this.size--
  }

  /** Empties the list and returns what it held, in order. */
  clear(): PendingRequest<T>[] {
    const requests: PendingRequest<T>[] = []
    for (let request = this.head; request !== undefined; request = request.next) requests.push(request)
    for (const request of requests) {
      request.prev = undefined
      request.next = undefined
    }
    this.head = undefined
    this.tail = undefined
    this.size = 0
    return requests
  }
}

class FramedDuplex<T> implements Framed<T>, RequestOwner<T> {
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
  /**
   * The next frame, asked of the decoder by a reader that may not take it (an aborted `read()`, the
   * reply reader after every request settled). Only the reader that takes its result clears it, so
   * a frame decoded for a reader that gave up goes to the next one: nothing is lost or read twice.
   */
  private pending: Promise<IteratorResult<T>> | undefined
  private reader: Reader = IDLE
  /** Orders writes for codecs without `encodeFrame`. */
  private encodeChain: Promise<unknown> = Promise.resolve()

  /** Requests sent (or being encoded) and not answered, oldest first; their replies come in this order. */
  private readonly slots = new RequestQueue<T>()
  /** Requests waiting, unsent, for a slot. */
  private readonly waiting = new RequestQueue<T>()
  /** A `request()` on the fast path holds the oldest slot, outside `slots`: it reads its reply itself. */
  private direct = false
  /** Bumped when the reply reader is released: a reply reader from before leaves its frame in `pending`. */
  private replyEpoch = 0

  constructor(
    private readonly duplex: ByteDuplex,
    private readonly codec: Codec<T>,
    private readonly maxOutstanding: number,
  ) {
    this.decoder = codec.createDecoder?.()
    this.source = this.messages()
  }

  async read(options: AbortOptions = {}): Promise<T | undefined> {
    const { signal } = options
    if (signal?.aborted === true) throw new AbortError('read() was aborted', { cause: signal.reason })
    if (this.unwrapped) throw new UnwrappedError('Cannot read: the framed stream was unwrapped')
    if (this.reader !== IDLE) throw new ReadInUseError(`Cannot read: ${this.readerState()}`)
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

  write(message: T, options: AbortOptions = {}): Promise<void> {
    // Not an async function: it returns the outbox's promise as is, without extra ticks.
    const { signal } = options
    if (signal?.aborted === true) {
      return Promise.reject(new AbortError('write() was aborted', { cause: signal.reason }))
    }
    if (this.unwrapped) {
      return Promise.reject(new UnwrappedError('Cannot write: the framed stream was unwrapped'))
    }
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

  request(message: T, options: AbortOptions = {}): Promise<T> {
    const { signal } = options
    if (signal?.aborted === true) {
      return Promise.reject(
        new AbortError('request() was aborted before it was sent', { cause: signal.reason }),
      )
    }
    if (this.unwrapped) {
      return Promise.reject(new UnwrappedError('Cannot request: the framed stream was unwrapped'))
    }
    if (this.reader === READ || this.reader === SOURCE) {
      return Promise.reject(new ReadInUseError(`Cannot request: ${this.readerState()}`))
    }
    if (this.failure !== undefined) return Promise.reject(this.failure.error)
    const closed = this.outbox.closedError
    if (closed !== undefined) return Promise.reject(closed)
    const { encodeFrame } = this.codec
    if (
      this.reader === IDLE &&
      signal === undefined &&
      this.pending === undefined &&
      encodeFrame !== undefined
    ) {
      // The fast path, one request at a time: no request object, the reply wakes the caller directly.
      let chunk: Uint8Array | Uint8ArrayList
      try {
        chunk = encodeFrame(message)
      } catch (err) {
        return Promise.reject(err)
      }
      this.reader = REQUESTS
      this.direct = true
      this.startSink()
      return this.requestDirect(chunk)
    }
    return new Promise<T>((resolve, reject) => {
      const request = new PendingRequest<T>(this, message, signal, resolve, reject)
      if (this.waiting.size === 0 && this.outstanding < this.maxOutstanding) this.send(request)
      else this.waiting.push(request)
      if (request.settled) return // could not be sent (encoding failed)
      signal?.addEventListener('abort', request, { once: true })
      if (this.reader === IDLE) {
        this.reader = REQUESTS
        void this.readReplies(this.replyEpoch)
      }
    })
  }

  readonly sink = async (source: Source<T>): Promise<void> => {
    if (this.unwrapped) throw new UnwrappedError('Cannot write: the framed stream was unwrapped')
    if (this.sinkCalled) throw new SinkInUseError('sink() may be called only once per framed stream')
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
   * The framed stream can no longer be read or written: any use throws `UnwrappedError`. Throws
   * `ReadInUseError` while a read waits for a message (a `read()`, `source`, `request()`s awaiting
   * replies, or a message an aborted `read()` left for the next reader), `SinkInUseError` while
   * `sink()` is writing, and `TypeError` for a codec without `createDecoder` once reading began.
   */
  unwrap(): UnwrappedDuplex {
    if (this.unwrapped) throw new UnwrappedError('Cannot unwrap: unwrap() was already called')
    if (this.reader !== IDLE) throw new ReadInUseError(`Cannot unwrap: ${this.readerState()}`)
    if (this.pending !== undefined) {
      throw new ReadInUseError(
        'Cannot unwrap: an aborted read() left a message for the next reader; read() it first',
      )
    }
    if (this.sinkActive) throw new SinkInUseError('Cannot unwrap: sink() is writing')
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

  /** Requests holding a slot (sent, or being sent, and not answered), the fast-path one included. */
  private get outstanding(): number {
    return this.direct ? this.slots.size + 1 : this.slots.size
  }

  /** Who is reading, for `ReadInUseError` messages. */
  private readerState(): string {
    switch (this.reader) {
      case READ:
        return 'a read() is pending'
      case SOURCE:
        return 'source is waiting for a message'
      case REQUESTS: {
        const n = this.outstanding
        const waiting = this.waiting.size > 0 ? ` (${this.waiting.size} more waiting to be sent)` : ''
        return `${n} request()${n === 1 ? ' awaits its reply' : 's await their replies'}${waiting}`
      }
      default:
        return 'nothing is reading'
    }
  }

  /** The fast path of `request()`: queue, then read the reply directly; hand over to `readReplies()` if others came. */
  private async requestDirect(chunk: Uint8Array | Uint8ArrayList): Promise<T> {
    let result: IteratorResult<T>
    try {
      await this.outbox.enqueue(chunk)
      result = await this.nextFrame()
    } catch (err) {
      this.direct = false
      this.failRequests(err)
      throw err
    }
    if (result.done === true) {
      const err = this.endedError()
      this.direct = false
      this.failRequests(err)
      throw err
    }
    this.direct = false
    // Requests that overlapped this one: send those its slot lets through, then read their replies.
    if (this.waiting.size > 0) this.sendWaiting()
    if (this.slots.size > 0) void this.readReplies(this.replyEpoch)
    else this.releaseReplies()
    return result.value
  }

  /** Sends `request` (a slot is free): encodes it, takes a slot, queues it in the outbox. */
  private send(request: PendingRequest<T>): void {
    const closed = this.outbox.closedError
    if (closed !== undefined) {
      request.phase = FINISHED
      request.fail(closed)
      return
    }
    const { encodeFrame } = this.codec
    if (encodeFrame === undefined) {
      this.sendEncoded(request)
      return
    }
    try {
      request.chunk = encodeFrame(request.message)
    } catch (err) {
      request.phase = FINISHED
      request.fail(err)
      return
    }
    request.phase = QUEUED
    this.slots.push(request)
    this.startSink()
    this.outbox.offer(request)
  }

  /** `send()` for codecs with only `encode`: the slot is taken now, so slots keep the order of the wire. */
  private sendEncoded(request: PendingRequest<T>): void {
    request.phase = ENCODING
    this.slots.push(request)
    const encoded = this.encodeChain.then(() => encodeOne(this.codec, request.message))
    this.encodeChain = encoded.catch(() => undefined)
    encoded.then(
      (chunk) => {
        if (request.phase !== ENCODING) return // withdrawn or failed meanwhile
        const closed = this.outbox.closedError
        if (closed !== undefined) {
          this.freeSlot(request, closed)
          return
        }
        request.chunk = chunk
        request.phase = QUEUED
        this.startSink()
        this.outbox.offer(request)
      },
      (err: unknown) => {
        if (request.phase === ENCODING) this.freeSlot(request, err)
      },
    )
  }

  /** Rejects `request`, which holds a slot but was never sent, and lets a waiting request have the slot. */
  private freeSlot(request: PendingRequest<T>, error: unknown): void {
    this.slots.remove(request)
    request.phase = FINISHED
    request.fail(error)
    if (this.waiting.size > 0) this.sendWaiting()
    if (this.outstanding === 0) this.releaseReplies()
  }

  /** Sends waiting requests, oldest first, while slots are free. */
  private sendWaiting(): void {
    while (this.outstanding < this.maxOutstanding) {
      const request = this.waiting.shift()
      if (request === undefined) return
      this.send(request)
    }
  }

  /** @internal A request's signal aborted: withdraw it if not sent yet, else give up on its reply. */
  abortRequest(request: PendingRequest<T>): void {
    const { phase } = request
    const cause = request.signal?.reason
    if (phase === WAITING) {
      this.waiting.remove(request)
      request.phase = FINISHED
      request.fail(new AbortError('request() was aborted before it was sent', { cause }))
    } else if (phase === ENCODING || (phase === QUEUED && this.outbox.withdraw(request))) {
      this.freeSlot(request, new AbortError('request() was aborted before it was sent', { cause }))
    } else if (phase !== FINISHED) {
      // Sent: the peer will answer, so the slot stays taken until then and the reply is dropped.
      request.fail(
        new AbortError('request() was aborted after it was sent; its reply will be discarded', { cause }),
      )
    }
  }

  /**
   * @internal Rejects every request sent or waiting with `error`: the connection or the codec failed,
   * or the stream ended. The fast-path request, if any, fails by itself on the same error.
   */
  failRequests(error: unknown): void {
    for (const request of this.slots.clear()) {
      if (request.phase === QUEUED) this.outbox.withdraw(request)
      request.phase = FINISHED
      request.fail(error)
    }
    for (const request of this.waiting.clear()) {
      request.phase = FINISHED
      request.fail(error)
    }
    this.releaseReplies()
  }

  /** No request holds a slot any more: reading is free again. A reply reader still waiting leaves its frame. */
  private releaseReplies(): void {
    if (this.reader !== REQUESTS || this.direct || this.slots.size > 0) return
    this.reader = IDLE
    this.replyEpoch++
  }

  /** `UnexpectedEndError` for the requests unanswered at the end of the stream. */
  private endedError(): UnexpectedEndError {
    const n = this.outstanding
    const waiting = this.waiting.size > 0 ? ` (${this.waiting.size} more not sent)` : ''
    return new UnexpectedEndError(
      `Cannot read reply: the stream ended before a reply to ${n} request${n === 1 ? '' : 's'}${waiting}`,
    )
  }

  /**
   * Reads replies for the requests in `slots`, oldest first, until none holds a slot. Frames already
   * decoded are taken synchronously, so a burst of replies costs one await per chunk.
   */
  private async readReplies(epoch: number): Promise<void> {
    try {
      while (this.slots.size > 0) {
        let reply = this.pending === undefined ? this.nextBuffered() : undefined
        if (reply === undefined) {
          const next = this.pendingFrame()
          const result = await next
          // Released meanwhile (every request settled): the frame stays for the next reader.
          if (epoch !== this.replyEpoch) return
          this.pending = undefined
          if (result.done === true) {
            this.failRequests(this.endedError())
            return
          }
          reply = result.value
        }
        const request = this.slots.shift()
        if (request !== undefined) {
          request.phase = FINISHED
          request.answer(reply) // dropped if the request was aborted after it was sent
        }
        if (this.waiting.size > 0) this.sendWaiting()
      }
      this.releaseReplies()
    } catch (err) {
      if (epoch !== this.replyEpoch) return
      this.pending = undefined
      this.failRequests(err)
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

  /**
   * The next message if the bytes already read hold one, without waiting; `undefined` otherwise (or
   * for codecs without a decoder, or after a failure, which `nextFrame()` then reports).
   */
  private nextBuffered(): T | undefined {
    const decoder = this.decoder
    if (decoder === undefined || this.failure !== undefined) return undefined
    try {
      for (;;) {
        const frame = decoder.next()
        if (frame !== undefined || this.listIndex >= this.listBufs.length) return frame
        decoder.push(this.listBufs[this.listIndex++] as Uint8Array)
      }
    } catch (err) {
      this.failure = { error: err }
      throw err
    }
  }

  /** `pending`, asked for first if nobody did: the frame the next reader gets. */
  private pendingFrame(): Promise<IteratorResult<T>> {
    this.pending ??= this.nextFrame()
    return this.pending
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
    for (;;) {
      if (this.unwrapped) throw new UnwrappedError('Cannot read source: the framed stream was unwrapped')
      if (this.reader !== IDLE) throw new ReadInUseError(`Cannot read source: ${this.readerState()}`)
      let frame = this.pending === undefined ? this.nextBuffered() : undefined
      if (frame === undefined) {
        const next = this.pendingFrame()
        this.reader = SOURCE
        let result: IteratorResult<T>
        try {
          result = await next
        } finally {
          this.reader = IDLE
          this.pending = undefined
        }
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
