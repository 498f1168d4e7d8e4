import type { Socket } from 'node:net'
import type { Duplex, Source } from 'it-stream-types'
import type { Uint8ArrayList } from 'uint8arraylist'
import { batched, batchesOf, offersBatches, runStages, takeStages } from '../batches.js'
import { AbortError, SinkInUseError, SocketClosedError, TimeoutError } from '../errors.js'
import { CLOSE_TIMEOUT, SOURCE_HIGH_WATER_MARK } from '../limits.js'
import { formatAddress, localAddressOf, remoteAddressOf, type SocketAddress } from './address.js'
import { translateError } from './translate-error.js'
import { Latch, Wakeup } from './wakeup.js'

const DONE: IteratorReturnResult<void> = { done: true, value: undefined }

import { WriteBatch } from './write-batch.js'

/** Options of {@link Connection.close}. */
export interface CloseOptions {
  /**
   * Milliseconds to wait for the peer to end its side after we ended ours; then the socket is
   * destroyed. `0` does not wait for the peer.
   * @default 5000
   */
  timeout?: number
}

/** @internal How the connect and listen code hand a socket to a {@link Connection}. */
export interface ConnectionInit {
  /** The Unix socket path, when there is one (Node.js reports no address for Unix sockets). */
  path?: string
  /** Close the connection after this many milliseconds without traffic in either direction. */
  idleTimeout?: number
  /** Aborts the connection with an `AbortError` when it fires. */
  signal?: AbortSignal
  /** Called once, after the socket has fully closed. */
  onClose?: (conn: Connection) => void
}

/** The bytes a connection's sink accepts: plain arrays, or lists written without being joined first. */
export type Chunk = Uint8Array | Uint8ArrayList

/**
 * A TCP or Unix stream socket as an async-iterable duplex (it-stream-types' `Duplex`): read with
 * `for await (const chunk of conn.source)`, write with `await conn.sink(chunks)`, or both with
 * `pipe(conn, transform, conn)`.
 *
 * The close contract (docs/CLOSE.md has the full table):
 * - the sink may be called once; its source ending ends our side only (half-close, FIN);
 * - the peer's FIN ends our `source`; our side stays writable;
 * - leaving `source` early stops reading but does not destroy the socket; once the sink has finished
 *   too, the connection closes gracefully;
 * - an error, a peer reset, the idle timeout or {@link abort} destroys the socket and surfaces the
 *   error on both halves;
 * - {@link close} is graceful, idempotent and bounded by a timeout.
 *
 * Connections are made by {@link connect} and by a server's `for await` loop.
 */
export class Connection
  implements Duplex<AsyncGenerator<Uint8Array>, Source<Chunk>, Promise<void>>, AsyncDisposable
{
  /**
   * The bytes received, chunk by chunk as they arrive, never joined or copied. Pull-based: while
   * nobody pulls, at most {@link SOURCE_HIGH_WATER_MARK} bytes are queued, then the socket stops
   * reading and the kernel pushes back on the peer. Ends when the peer ends its side; throws the
   * connection's error (e.g. `ConnectionResetError`, `TimeoutError`) after yielding what arrived
   * before it. It can be iterated once.
   */
  readonly source: AsyncGenerator<Uint8Array, void, undefined>

  /**
   * Writes every chunk of `source` (a `Uint8ArrayList` is written buffer by buffer, not joined),
   * waiting whenever the socket's write buffer is full, so memory stays bounded. Everything the
   * source yields within one tick goes to the OS in one `writev`. When `source` ends, ends our side
   * only (half-close): the connection stays readable until the peer ends too. Resolves once all was
   * handed to the OS. If `source` throws, the connection is aborted and the promise rejects with that
   * error. May be called once: a second call rejects with `SinkInUseError`.
   */
  readonly sink: (source: Source<Chunk>) => Promise<void>

  /** The peer's address: `{ address, port, family }`, or `{ path }` for a Unix socket. */
  readonly remoteAddress: SocketAddress

  /** Our end's address: `{ address, port, family }`, or `{ path }` for a Unix socket. */
  readonly localAddress: SocketAddress

  private readonly socket: Socket
  private readonly name: string
  private readonly signal: AbortSignal | undefined
  private readonly onCloseCallback: ((conn: Connection) => void) | undefined

  /** Received chunks not yet pulled by the source's consumer. */
  private queue: Uint8Array[] = []
  private queuedBytes = 0
  /** The peer's FIN arrived. */
  private readEnded = false
  /** Nobody will read any more: incoming bytes are dropped. */
  private discarding = false
  private sourceState: 'idle' | 'reading' | 'done' = 'idle'
  private sinkState: 'idle' | 'writing' | 'done' = 'idle'
  /** The first error; once set, both halves fail with it. */
  private error: Error | undefined
  private closing = false
  /** True once the socket has fully closed (the latch is the one record of it). */
  private get closed(): boolean {
    return this.closedLatch.opened
  }
  /** Writes what the sink queued this tick; close() calls it so those bytes go out before our FIN. */
  private flushWrites: (() => void) | undefined
  private closeTimer: NodeJS.Timeout | undefined
  private closeDeadline = 0
  /** Opens once the socket has fully closed. */
  private readonly closedLatch = new Latch()
  /** The source's pending read, settled by data, the end or an error. */
  private pendingRead:
    | {
        resolve: (result: IteratorResult<readonly Uint8Array[], void>) => void
        reject: (err: unknown) => void
      }
    | undefined
  /** The sink's wait for 'drain' or an error. */
  private readonly writer = new Wakeup()

  /** @internal Use {@link connect} or a server's `for await` loop to get a connection. */
  constructor(socket: Socket, init: ConnectionInit = {}) {
    this.socket = socket
    this.remoteAddress = remoteAddressOf(socket, init.path)
    this.localAddress = localAddressOf(socket, init.path)
    this.name = formatAddress(this.remoteAddress)
    this.signal = init.signal
    this.onCloseCallback = init.onClose

    // Paused before 'data' is listened to, so nothing flows until the source is pulled; Node.js
    // still reads up to `readableHighWaterMark` into its own buffer, then stops reading
    // (https://nodejs.org/docs/latest-v20.x/api/stream.html#two-reading-modes).
    socket.pause()
    socket.on('data', this.onData)
    // 'end' is the peer's FIN. The socket must be created with `allowHalfOpen: true`, or Node.js
    // would end our side too.
    socket.on('end', this.onEnd)
    socket.on('error', this.onError)
    // 'close' comes once, after the handle is closed, with or without an error before it.
    socket.on('close', this.onSocketClose)
    socket.on('drain', this.onDrain)
    if (init.idleTimeout !== undefined && init.idleTimeout > 0) {
      // Node.js refreshes this one timer on every read and write: no per-chunk timer of ours.
      socket.setTimeout(init.idleTimeout, () => {
        this.abort(new TimeoutError(`Connection with ${this.name} idle for ${init.idleTimeout} ms`))
      })
    }
    if (this.signal !== undefined) {
      if (this.signal.aborted) queueMicrotask(this.onSignalAbort)
      else this.signal.addEventListener('abort', this.onSignalAbort, { once: true })
    }

    this.source = batched(() => this.batches())
    this.sink = (source) => this.write(source)
  }

  /**
   * Bytes received and held in memory but not yet pulled from `source`: it-socket's queue plus
   * Node.js's readable buffer. Stays below about `SOURCE_HIGH_WATER_MARK` + `SOCKET_HIGH_WATER_MARK` + 64 KiB.
   */
  get readableLength(): number {
    return this.queuedBytes + this.socket.readableLength
  }

  /** True once the socket has fully closed. */
  get isClosed(): boolean {
    return this.closed
  }

  /**
   * Closes gracefully: ends our side (after whatever was written is flushed), waits for the peer to
   * end its side for up to `timeout` ms, then destroys the socket. Bytes that arrive meanwhile and
   * that nobody reads are dropped. Resolves when fully closed; never rejects; calling it again
   * returns the same wait, shortened if the new `timeout` ends sooner. A sink still writing stops and
   * rejects with `SocketClosedError`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closed || this.socket.destroyed) return this.closedLatch.wait()
    const timeout = options.timeout ?? CLOSE_TIMEOUT
    if (!Number.isFinite(timeout) || timeout < 0) {
      throw new RangeError(`close(): timeout must be a number of milliseconds >= 0, got ${timeout}`)
    }
    if (!this.closing) {
      this.closing = true
      if (this.sourceState !== 'reading') this.discard()
      this.flushWrites?.()
      if (!this.socket.writableEnded) this.socket.end()
      this.wake()
    }
    const deadline = Date.now() + timeout
    if (this.closeTimer === undefined || deadline < this.closeDeadline) {
      if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
      this.closeDeadline = deadline
      this.closeTimer = setTimeout(() => this.socket.destroy(), timeout)
    }
    return this.closedLatch.wait()
  }

  /**
   * Destroys the socket at once. A pending or later read of `source` and write of `sink` reject with
   * `err`, or with an `AbortError` naming the peer when no error is given. Does nothing once closed.
   */
  abort(err?: Error): void {
    if (this.closed) return
    this.error ??= err ?? new AbortError(`Connection with ${this.name} was aborted`)
    this.queue.length = 0
    this.queuedBytes = 0
    this.socket.destroy()
    this.wake()
  }

  /** Closes gracefully, as {@link close}: `await using conn = await connect(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /**
   * The source's batches: every chunk queued when the consumer pulls, in one array. Hand-written
   * rather than an async generator so that arriving data settles the pending read directly: one
   * promise per read, no generator to resume.
   */
  private batches(): AsyncGenerator<readonly Uint8Array[], void, undefined> {
    const iterator: AsyncGenerator<readonly Uint8Array[], void, undefined> = {
      next: () => this.nextBatch(),
      return: () => {
        this.sourceDone()
        return Promise.resolve(DONE)
      },
      throw: (err: unknown) => {
        this.sourceDone()
        return Promise.reject(err)
      },
      [Symbol.asyncIterator]: () => iterator,
      [Symbol.asyncDispose]: () => {
        this.sourceDone()
        return Promise.resolve()
      },
    }
    return iterator
  }

  private nextBatch(): Promise<IteratorResult<readonly Uint8Array[], void>> {
    if (this.sourceState === 'done') return Promise.resolve(DONE)
    if (this.sourceState === 'idle') {
      if (this.discarding) {
        // close() ran before anyone read: what arrived was dropped, so no clean end can be promised.
        this.sourceState = 'done'
        return Promise.reject(
          new SocketClosedError(
            `Cannot read: connection with ${this.name} was closed before its source was read`,
          ),
        )
      }
      this.sourceState = 'reading'
    }
    if (this.pendingRead !== undefined)
      return Promise.reject(new Error('Connection source read twice at once'))
    const settled = this.settledRead()
    if (settled !== undefined)
      return 'error' in settled ? Promise.reject(settled.error) : Promise.resolve(settled)
    if (this.socket.isPaused()) this.socket.resume()
    return new Promise<IteratorResult<readonly Uint8Array[], void>>((resolve, reject) => {
      this.pendingRead = { resolve, reject }
    })
  }

  /** What a read gets now: the queued chunks, the end, or the error; `undefined` to wait. */
  private settledRead(): IteratorResult<readonly Uint8Array[], void> | { error: unknown } | undefined {
    if (this.queue.length > 0) {
      const chunks = this.queue
      this.queue = []
      this.queuedBytes = 0
      return { done: false, value: chunks }
    }
    if (this.error !== undefined) {
      this.sourceDone()
      return { error: this.error }
    }
    if (this.readEnded) {
      this.sourceDone()
      return DONE
    }
    if (this.closed) {
      this.sourceDone()
      return { error: new SocketClosedError(`Connection with ${this.name} is closed`) }
    }
    return undefined
  }

  /** Settles a pending read once data, the end or an error is there. */
  private wakeReader(): void {
    const pending = this.pendingRead
    if (pending === undefined) return
    // Taken off first: settledRead() may finish the source, which resolves a pending read as done.
    this.pendingRead = undefined
    const settled = this.settledRead()
    if (settled === undefined) this.pendingRead = pending
    else if ('error' in settled) pending.reject(settled.error)
    else pending.resolve(settled)
  }

  /** The source is finished (ended, failed, or left early); when left early, stop reading. */
  private sourceDone(): void {
    if (this.sourceState === 'done') return
    this.sourceState = 'done'
    const pending = this.pendingRead
    if (pending !== undefined) {
      this.pendingRead = undefined
      pending.resolve(DONE)
    }
    if (!this.readEnded) {
      // Left early: stop reading. Either the sink is still writing (it closes us when done), or
      // the caller closes us; until then the kernel pushes back on the peer.
      this.discarding = true
      this.queue = []
      this.queuedBytes = 0
      this.socket.pause()
      if (this.sinkState === 'done') void this.close()
    }
  }

  private async write(source: Source<Chunk>): Promise<void> {
    if (this.sinkState !== 'idle')
      throw new SinkInUseError(`sink() was already called on connection with ${this.name}`)
    this.sinkState = 'writing'
    const socket = this.socket
    try {
      this.assertWritable()
      const batch = new WriteBatch(socket)
      this.flushWrites = batch.flush
      const { root, stages } = takeStages(source)
      if (stages.length > 0 || offersBatches(root)) {
        // it-socket stages up to here (decode, encode, until): run their synchronous steps inline
        // on each batch the root has ready, so a message crosses one await, not one per stage.
        let ended = false
        for await (const chunks of batchesOf(root)) {
          this.assertWritable()
          const run = runStages(stages, chunks)
          batch.writeAll(run.out as readonly Chunk[])
          if (run.error !== undefined) throw run.error.error
          if (run.ended) {
            ended = true
            break // a stage such as until() finished: stop reading the root
          }
          if (socket.writableNeedDrain) await this.drained(batch)
        }
        if (!ended && stages.length > 0) {
          const run = runStages(stages, undefined)
          batch.writeAll(run.out as readonly Chunk[])
          if (run.error !== undefined) throw run.error.error
        }
      } else {
        for await (const chunk of source) {
          this.assertWritable()
          if (chunk instanceof Uint8Array) batch.add(chunk)
          else for (const buf of chunk) batch.add(buf)
          if (socket.writableNeedDrain) await this.drained(batch)
        }
      }
      if (this.error !== undefined) throw this.error
      batch.flush()
      // Half-close. If close() already ended our side, this waits for the same flush.
      await new Promise<void>((resolve, reject) => {
        socket.end((err?: Error | null) => (err == null ? resolve() : reject(err)))
      })
    } catch (err) {
      if (this.error !== undefined) throw this.error
      if (err instanceof SocketClosedError) throw err
      if (this.closed)
        throw new SocketClosedError(`Cannot write: connection with ${this.name} is closed`, { cause: err })
      // The source threw (or end() failed): the connection cannot be trusted to carry whole data.
      const error = err instanceof Error ? err : new Error(String(err))
      this.abort(error)
      throw error
    } finally {
      this.sinkState = 'done'
      if (this.sourceState === 'done' && !this.readEnded) void this.close()
    }
  }

  /** Writes what is batched, then waits until Node's write buffer drains (or the socket fails). */
  private async drained(batch: WriteBatch): Promise<void> {
    batch.flush()
    await this.writer.wait()
    this.assertWritable()
  }

  /** Throws the connection's error, or `SocketClosedError` once it is closing or closed. */
  private assertWritable(): void {
    if (this.error !== undefined) throw this.error
    if (this.closed || this.closing) {
      throw new SocketClosedError(`Cannot write: connection with ${this.name} is closed`)
    }
  }

  /** Drops whatever arrives from now on, and keeps reading so the peer's FIN can be seen. */
  private discard(): void {
    this.discarding = true
    this.queue.length = 0
    this.queuedBytes = 0
    this.socket.resume()
  }

  private wake(): void {
    this.wakeReader()
    this.writer.wake()
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.discarding) return
    this.queue.push(chunk)
    this.queuedBytes += chunk.byteLength
    if (this.queuedBytes >= SOURCE_HIGH_WATER_MARK) this.socket.pause()
    this.wakeReader()
  }

  private readonly onEnd = (): void => {
    this.readEnded = true
    this.wake()
  }

  private readonly onDrain = (): void => {
    this.writer.wake()
  }

  private readonly onError = (err: Error): void => {
    this.error ??= translateError(err, 'connection with', this.name)
    this.wake()
  }

  private readonly onSignalAbort = (): void => {
    this.abort(
      new AbortError(`Connection with ${this.name} was aborted by its signal`, {
        cause: this.signal?.reason,
      }),
    )
  }

  private readonly onSocketClose = (): void => {
    this.closedLatch.open()
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
    this.signal?.removeEventListener('abort', this.onSignalAbort)
    this.wake()
    this.onCloseCallback?.(this)
  }
}
