/**
 * `duplexPair()`: two connected in-memory connections with a connection's close contract
 * (docs/CLOSE.md), so a handler written for `serve()` can be unit-tested without a port. No I/O:
 * what one end's sink writes, the other end's source yields.
 *
 * @module
 */
import type { Source } from 'it-stream-types'
import { isUint8ArrayList, type Uint8ArrayList } from 'uint8arraylist'
import { describeType, describeValue } from '../describe.js'
import {
  AbortError,
  ConnectionResetError,
  ReadInUseError,
  SinkInUseError,
  SocketClosedError,
} from '../errors.js'
import { DONE, LeavableSource } from '../leavable-source.js'
import { CLOSE_TIMEOUT, MAX_TIMER_MS, PAIR_HIGH_WATER_MARK } from '../limits.js'
import { Latch, Wakeup } from '../wakeup.js'

/**
 * What a `serve()` handler uses of a connection, as a type both a `Connection` and an end of
 * {@link duplexPair} satisfy: type a handler's parameter with it, give the handler to `serve()` in
 * production and a pair's end in a unit test. Addresses, `tls` and `proxy` are left out: an
 * in-memory end has none.
 */
export interface ConnectionLike extends AsyncDisposable {
  /** The bytes received: ends at the peer's half-close, throws on an abort or a reset. Iterable once. */
  readonly source: AsyncGenerator<Uint8Array, void, undefined>
  /** Writes every chunk of `source`, then half-closes; call once. */
  readonly sink: (source: Source<Uint8Array | Uint8ArrayList>) => Promise<void>
  /** Bytes received and held, not yet pulled from `source`. */
  readonly readableLength: number
  /** True once fully closed: both sides ended, or aborted. */
  readonly isClosed: boolean
  /** Resolves once fully closed: both sides ended, or aborted. */
  readonly closed: Promise<void>
  /** Closes gracefully: ends our side, waits up to `timeout` ms in the background for the peer's. */
  close(options?: { timeout?: number }): Promise<void>
  /** Destroys at once: a pending or later read and write reject with `err` (or `AbortError`). */
  abort(err?: Error): void
}

/** Options of {@link duplexPair}. */
export interface DuplexPairOptions {
  /**
   * Bytes written by one end and not yet read by the other, per direction, past which the writing
   * sink waits for the reader (as a socket's sink waits for the kernel): a positive integer. A sink
   * holds at most this plus one chunk in flight.
   * @default PAIR_HIGH_WATER_MARK (64 KiB)
   */
  highWaterMark?: number
}

/**
 * Two connected in-memory connections: what `a.sink` writes, `b.source` yields, and the other way
 * round. Each end keeps a `Connection`'s close contract (docs/CLOSE.md), so a handler written for
 * `serve()` can be unit-tested without a port:
 *
 * ```ts
 * const [client, server] = duplexPair()
 * void handler(server) // e.g. (conn) => pipe(conn, lines().decode, upper, lines().encode, conn)
 * const replies = pipe(['hi'], lines().encode, client, lines().decode) // ends client's side after 'hi'
 * ```
 *
 * - **the sink's source ends**: our side is ended; the peer's `source` ends after yielding all we
 *   wrote. We may still read.
 * - **backpressure**: a sink waits once `highWaterMark` bytes it wrote are unread by the peer; a peer
 *   that stops pulling stalls it, as the kernel does.
 * - **the sink's source throws**, or **`abort(err)`**: this end is destroyed; its source throws `err`
 *   (queued bytes dropped) and its sink rejects with it. For the peer it is a reset: its source
 *   yields what arrived, then throws `ConnectionResetError`, and its sink rejects with that.
 * - **source left early**: stops reading; what the peer writes stays queued (and stalls it past
 *   `highWaterMark`). Once the sink has finished too, the end closes as `close()` does.
 * - **`close()`**: as a connection's (see {@link ConnectionLike.close}): ends our side at once, a sink
 *   still writing rejects with `SocketClosedError`, bytes nobody reads are dropped; after `timeout`
 *   without the peer's half-close, the end is destroyed (a reset for the peer).
 * - **`sink()` may be called once**: a second call rejects with `SinkInUseError`; a chunk that is
 *   not a `Uint8Array` or `Uint8ArrayList` rejects it with a `TypeError` and aborts the end.
 *
 * Each chunk is copied on write, so the reader never sees a buffer the writer reuses; a
 * `Uint8ArrayList` arrives as one chunk per buffer.
 *
 * @throws {TypeError | RangeError} at once, for bad options
 */
export function duplexPair(options: DuplexPairOptions = {}): [ConnectionLike, ConnectionLike] {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`duplexPair(): options must be an object, got ${describeValue(options)}`)
  }
  const highWaterMark = options.highWaterMark ?? PAIR_HIGH_WATER_MARK
  if (typeof highWaterMark !== 'number') {
    throw new TypeError(`duplexPair(): highWaterMark must be a number, got ${describeValue(highWaterMark)}`)
  }
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 1) {
    throw new RangeError(`duplexPair(): highWaterMark must be a positive integer, got ${highWaterMark}`)
  }
  const a = new PairEnd('a', highWaterMark)
  const b = new PairEnd('b', highWaterMark)
  a.peer = b
  b.peer = a
  return [a, b]
}

/** One end of a pair: its inbound queue is what the peer wrote. */
class PairEnd implements ConnectionLike {
  readonly source: AsyncGenerator<Uint8Array, void, undefined>
  readonly sink: (source: Source<Uint8Array | Uint8ArrayList>) => Promise<void>
  /** The other end; set right after both are made. */
  peer!: PairEnd

  /** What the peer wrote and we have not read. */
  private queue: Uint8Array[] = []
  private queuedBytes = 0
  /** The peer ended its side: after the queue, our source ends. */
  private inEnded = false
  /** We ended our side. */
  private outEnded = false
  /** The first error; both halves fail with it (after the queue, for a reset; at once for an abort). */
  private error: Error | undefined
  /** `abort()` (or a failed sink) destroyed this end: its source throws at once, without the queue. */
  private aborted = false
  private closing = false
  private hasClosed = false
  /** Nobody will read any more: what arrives is dropped. */
  private discarding = false
  private sourceState: 'idle' | 'reading' | 'done' = 'idle'
  private sinkState: 'idle' | 'writing' | 'done' = 'idle'
  /** Our source waits for data, the peer's end or an error. */
  private readonly reader = new Wakeup()
  /** Our sink waits for the peer to read (or for an error or close). */
  private readonly writer = new Wakeup()
  private readonly closedLatch = new Latch()
  private closeTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    /** Names the end in messages: `a` or `b`. */
    private readonly name: string,
    private readonly highWaterMark: number,
  ) {
    this.source = new LeavableSource(this)
    this.sink = (source) => this.write(source)
  }

  get readableLength(): number {
    return this.queuedBytes
  }

  get isClosed(): boolean {
    return this.hasClosed
  }

  get closed(): Promise<void> {
    return this.closedLatch.wait()
  }

  close(options: { timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? CLOSE_TIMEOUT
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > MAX_TIMER_MS) {
      throw new RangeError(
        `close(): timeout must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${describeValue(timeout)}`,
      )
    }
    if (this.hasClosed) return Promise.resolve()
    if (!this.closing) {
      this.closing = true
      if (this.sourceState !== 'reading') this.discard()
      this.endOurSide()
      this.writer.wake() // a sink still writing sees the close at its next chunk
    }
    if (this.hasClosed) return Promise.resolve()
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
    this.closeTimer = setTimeout(() => this.destroy(), timeout)
    return Promise.resolve()
  }

  abort(err?: Error): void {
    if (this.hasClosed) return
    this.error ??= err ?? new AbortError(`duplexPair() end ${this.name} was aborted`)
    this.aborted = true
    this.dropQueue()
    this.destroy()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** The source's next chunk (see {@link PairSource}). */
  async read(): Promise<IteratorResult<Uint8Array, void>> {
    if (this.sourceState === 'done') return DONE
    if (this.sourceState === 'idle') {
      if (this.discarding) {
        this.sourceState = 'done'
        throw new SocketClosedError(
          `Cannot read: duplexPair() end ${this.name} was closed before its source was read`,
        )
      }
      this.sourceState = 'reading'
    }
    if (this.reader.waiting) {
      throw new ReadInUseError(`Cannot read duplexPair() end ${this.name}: another read is pending`)
    }
    for (;;) {
      if (this.sourceState !== 'reading') return DONE // left early while this read waited
      const chunk = this.queue.shift()
      if (chunk !== undefined) {
        this.queuedBytes -= chunk.byteLength
        this.peer.writer.wake() // room for the peer's sink
        return { done: false, value: chunk }
      }
      // A reset after the peer's end does not undo that end; our own abort always surfaces.
      if (this.error !== undefined && (this.aborted || !this.inEnded)) {
        this.leaveSource()
        throw this.error
      }
      if (this.inEnded) {
        this.leaveSource()
        return DONE
      }
      if (this.hasClosed) {
        this.leaveSource()
        throw new SocketClosedError(`Cannot read: duplexPair() end ${this.name} is closed`)
      }
      await this.reader.wait()
    }
  }

  /** The source is finished: ended, failed, or left early (then stop reading; see the module comment). */
  leaveSource(): void {
    if (this.sourceState === 'done') return
    this.sourceState = 'done'
    this.reader.wake()
    if (!this.inEnded && this.sinkState === 'done') void this.close()
  }

  /** Takes a chunk our peer's sink wrote. */
  private receive(chunk: Uint8Array): void {
    if (this.discarding || this.hasClosed) return
    this.queue.push(chunk)
    this.queuedBytes += chunk.byteLength
    this.reader.wake()
  }

  /** The peer ended its side. */
  private receiveEnd(): void {
    this.inEnded = true
    this.reader.wake()
    this.closeIfDone()
  }

  /** The peer was destroyed: a reset for us, unless we were done already. */
  private receiveReset(): void {
    if (this.hasClosed) return
    this.error ??= new ConnectionResetError(`duplexPair() end ${this.peer.name} reset the connection`)
    this.destroy()
  }

  private async write(source: Source<Uint8Array | Uint8ArrayList>): Promise<void> {
    if (this.sinkState !== 'idle') {
      throw new SinkInUseError(`sink() was already called on duplexPair() end ${this.name}`)
    }
    this.sinkState = 'writing'
    try {
      this.assertWritable()
      for await (const chunk of source) {
        this.assertWritable()
        if (chunk instanceof Uint8Array) this.peer.receive(chunk.slice())
        else if (isUint8ArrayList(chunk)) for (const buf of chunk) this.peer.receive(buf.slice())
        else {
          throw new TypeError(
            `sink() of duplexPair() end ${this.name}: cannot write ${describeType(chunk)}: chunks are Uint8Array or Uint8ArrayList`,
          )
        }
        while (this.peer.queuedBytes >= this.highWaterMark) {
          await this.writer.wait()
          this.assertWritable()
        }
      }
      this.assertWritable()
      this.endOurSide()
    } catch (err) {
      throw this.sinkError(err)
    } finally {
      this.sinkState = 'done'
      if (this.sourceState === 'done' && !this.inEnded) void this.close()
    }
  }

  /** The error a failed sink rejects with, after aborting on an error of its own source. */
  private sinkError(err: unknown): unknown {
    if (this.error !== undefined) return this.error
    if (err instanceof SocketClosedError) return err
    const error = err instanceof Error ? err : new Error(String(err))
    this.abort(error)
    return error
  }

  private assertWritable(): void {
    if (this.error !== undefined) throw this.error
    if (this.hasClosed || this.closing || this.outEnded) {
      throw new SocketClosedError(`Cannot write: duplexPair() end ${this.name} is closed`)
    }
  }

  private endOurSide(): void {
    if (this.outEnded) return
    this.outEnded = true
    this.peer.receiveEnd()
    this.closeIfDone()
  }

  /** Drops what is queued and what arrives from now on; the peer's sink never waits for us again. */
  private discard(): void {
    this.discarding = true
    this.dropQueue()
  }

  private dropQueue(): void {
    this.queue = []
    this.queuedBytes = 0
    this.peer.writer.wake()
  }

  /** Both sides have ended: fully closed. */
  private closeIfDone(): void {
    if (this.inEnded && this.outEnded) this.finish()
  }

  /** Destroyed (an abort, a reset, a close that timed out): the peer sees a reset. */
  private destroy(): void {
    if (this.hasClosed) return
    this.finish()
    this.peer.receiveReset()
  }

  private finish(): void {
    if (this.hasClosed) return
    this.hasClosed = true
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
    this.closedLatch.open()
    this.reader.wake()
    this.writer.wake()
    this.peer.writer.wake()
  }
}
