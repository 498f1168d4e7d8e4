/**
 * The pipelined `request()`s of `framed()`: the requests sent and awaiting replies (`slots`, oldest
 * first), those waiting unsent for a slot past `maxOutstandingRequests` (`waiting`), the fast path
 * for one request at a time, and the reply reader that pairs replies with requests first in, first out.
 *
 * @module
 */
import type { Uint8ArrayList } from 'uint8arraylist'
import { AbortError, UnexpectedEndError } from '../errors.js'
import type { Codec } from './codec.js'
import { type FrameReader, IDLE, REQUESTS } from './frame-reader.js'
import type { FrameWriter } from './frame-writer.js'
import {
  ENCODING,
  FINISHED,
  PendingRequest,
  QUEUED,
  type RequestOwner,
  RequestQueue,
  WAITING,
} from './request-queue.js'

/**
 * Sends `request()`s through the writer and reads their replies from the reader, in order, at most
 * `maxOutstanding` unanswered at a time.
 */
export class Requests<T> implements RequestOwner<T> {
  /** Requests sent (or being encoded) and not answered, oldest first; their replies come in this order. */
  private readonly slots = new RequestQueue<T>()
  /** Requests waiting, unsent, for a slot. */
  private readonly waiting = new RequestQueue<T>()
  /** A `request()` on the fast path holds the oldest slot, outside `slots`: it reads its reply itself. */
  private direct = false
  /** Bumped when the reply reader is released: a reply reader from before leaves its frame in `pending`. */
  private replyEpoch = 0

  constructor(
    private readonly frames: FrameReader<T>,
    private readonly writer: FrameWriter<T>,
    private readonly codec: Codec<T>,
    private readonly maxOutstanding: number,
  ) {}

  /** `request()` once the caller checked its signal and that no `read()` or `source` is reading. */
  request(message: T, signal: AbortSignal | undefined): Promise<T> {
    const { failure } = this.frames
    if (failure !== undefined) return Promise.reject(failure.error)
    const closed = this.writer.outbox.closedError
    if (closed !== undefined) return Promise.reject(closed)
    const { encodeFrame } = this.codec
    if (
      this.frames.reader === IDLE &&
      signal === undefined &&
      this.frames.pending === undefined &&
      encodeFrame !== undefined
    ) {
      // The fast path, one request at a time: no request object, the reply wakes the caller directly.
      let chunk: Uint8Array | Uint8ArrayList
      try {
        chunk = this.writer.counted(encodeFrame(message))
      } catch (err) {
        return Promise.reject(err)
      }
      this.frames.reader = REQUESTS
      this.direct = true
      this.writer.startSink()
      return this.requestDirect(chunk)
    }
    return new Promise<T>((resolve, reject) => {
      const request = new PendingRequest<T>(this, message, signal, resolve, reject)
      if (this.waiting.size === 0 && this.outstanding < this.maxOutstanding) this.send(request)
      else this.waiting.push(request)
      if (request.settled) return // could not be sent (encoding failed)
      signal?.addEventListener('abort', request, { once: true })
      if (this.frames.reader === IDLE) {
        this.frames.reader = REQUESTS
        void this.readReplies(this.replyEpoch)
      }
    })
  }

  /** Who reads, while the replies to requests are awaited: for `ReadInUseError` messages. */
  describe(): string {
    const n = this.outstanding
    const waiting = this.waiting.size > 0 ? ` (${this.waiting.size} more waiting to be sent)` : ''
    return `${n} request()${n === 1 ? ' awaits its reply' : 's await their replies'}${waiting}`
  }

  /** Requests holding a slot (sent, or being sent, and not answered), the fast-path one included. */
  private get outstanding(): number {
    return this.direct ? this.slots.size + 1 : this.slots.size
  }

  /**
   * The fast path of `request()`: hand the frame over, then read the reply directly; hand over to
   * `readReplies()` if others came. When the connection takes the frame at once and the reply is
   * not decoded yet (the usual case), the reply settles the caller one promise hop after its bytes
   * arrive: the read's own `then` decodes it.
   */
  private requestDirect(chunk: Uint8Array | Uint8ArrayList): Promise<T> {
    const frames = this.frames
    const sent = this.writer.outbox.sendNow(chunk)
    if (!sent || frames.decoderless || frames.ended) return this.requestQueued(sent ? undefined : chunk)
    let buffered: T | undefined
    try {
      buffered = frames.nextBuffered()
    } catch (err) {
      return Promise.reject(this.directFailed(err))
    }
    if (buffered !== undefined) return Promise.resolve(this.directAnswered({ done: false, value: buffered }))
    return frames.readBatch().then(this.onDirectBatch, this.onDirectReadFailed)
  }

  /** `requestDirect()`'s read came back: decode the reply (or read on for the rest of it). */
  private readonly onDirectBatch = (
    result: IteratorResult<readonly (Uint8Array | Uint8ArrayList)[]>,
  ): T | Promise<T> => {
    let reply: IteratorResult<T> | undefined
    try {
      reply = this.frames.decodeBatch(result)
    } catch (err) {
      throw this.directFailed(err)
    }
    if (reply !== undefined) return this.directAnswered(reply)
    return this.frames.nextFrame().then(this.directAnswered, (err: unknown) => {
      throw this.directFailed(err)
    })
  }

  private readonly onDirectReadFailed = (err: unknown): never => {
    this.frames.failed(err)
    throw this.directFailed(err)
  }

  /** The fast path's reply (or the end): free its slot and let overlapping requests go on. */
  private readonly directAnswered = (result: IteratorResult<T>): T => {
    if (result.done === true) throw this.directFailed(this.endedError())
    this.direct = false
    // Requests that overlapped this one: send those its slot lets through, then read their replies.
    if (this.waiting.size > 0) this.sendWaiting()
    if (this.slots.size > 0) void this.readReplies(this.replyEpoch)
    else this.releaseReplies()
    return result.value
  }

  /** The fast path failed with `err`: every other request fails too. Returns `err` to throw. */
  private directFailed(err: unknown): unknown {
    this.direct = false
    this.failRequests(err)
    return err
  }

  /**
   * The fast path when the frame must wait in the write queue (`unsent`), or the reply cannot be
   * decoded in the read's own `then` (a codec without a decoder, a stream that ended).
   */
  private async requestQueued(unsent: Uint8Array | Uint8ArrayList | undefined): Promise<T> {
    let result: IteratorResult<T>
    try {
      if (unsent !== undefined) await this.writer.outbox.enqueue(unsent)
      result = await this.frames.nextFrame()
    } catch (err) {
      throw this.directFailed(err)
    }
    return this.directAnswered(result)
  }

  /** Sends `request` (a slot is free): encodes it, takes a slot, queues it in the outbox. */
  private send(request: PendingRequest<T>): void {
    const closed = this.writer.outbox.closedError
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
      request.chunk = this.writer.counted(encodeFrame(request.message))
    } catch (err) {
      request.phase = FINISHED
      request.fail(err)
      return
    }
    request.phase = QUEUED
    this.slots.push(request)
    this.writer.startSink()
    this.writer.outbox.offer(request)
  }

  /** `send()` for codecs with only `encode`: the slot is taken now, so slots keep the order of the wire. */
  private sendEncoded(request: PendingRequest<T>): void {
    request.phase = ENCODING
    this.slots.push(request)
    this.writer.encodeInOrder(request.message).then(
      (chunk) => {
        if (request.phase !== ENCODING) return // withdrawn or failed meanwhile
        const closed = this.writer.outbox.closedError
        if (closed !== undefined) {
          this.freeSlot(request, closed)
          return
        }
        request.chunk = chunk
        request.phase = QUEUED
        this.writer.startSink()
        this.writer.outbox.offer(request)
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
    } else if (phase === ENCODING || (phase === QUEUED && this.writer.outbox.withdraw(request))) {
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
      if (request.phase === QUEUED) this.writer.outbox.withdraw(request)
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
    if (this.frames.reader !== REQUESTS || this.direct || this.slots.size > 0) return
    this.frames.reader = IDLE
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
        let reply = this.frames.pending === undefined ? this.frames.nextBuffered() : undefined
        if (reply === undefined) {
          const next = this.frames.pendingFrame()
          const result = await next
          // Released meanwhile (every request settled): the frame stays for the next reader.
          if (epoch !== this.replyEpoch) return
          this.frames.pending = undefined
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
      this.frames.pending = undefined
      this.failRequests(err)
    }
  }
}
