import type { Socket } from 'node:net'
import type { Duplex, Source } from 'it-stream-types'
import type { Uint8ArrayList } from 'uint8arraylist'
import {
  type AnyStage,
  BatchedItems,
  type BatchGenerator,
  batchesOf,
  offersBatches,
  type PushControl,
  type PushTarget,
  runStages,
  takePush,
  takeStages,
  takeUntouched,
} from '../batches.js'
import { AbortError, ReadInUseError, SinkInUseError, SocketClosedError, TimeoutError } from '../errors.js'
import { CLOSE_TIMEOUT, SOURCE_HIGH_WATER_MARK } from '../limits.js'
import { formatAddress, localAddressOf, remoteAddressOf, type SocketAddress } from './address.js'
import { translateError } from './translate-error.js'
import { validateMs } from './validate.js'
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

/** Set by the class's static block (see {@link ConnectionInternals}). */
let internals!: ConnectionInternals

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
  get remoteAddress(): SocketAddress {
    // Made on first use: Node.js keeps what the constructor fetched even after the socket is gone.
    this.remote ??= remoteAddressOf(this.socket, this.path)
    return this.remote
  }

  /** Our end's address: `{ address, port, family }`, or `{ path }` for a Unix socket. */
  readonly localAddress: SocketAddress

  private readonly socket: Socket
  private readonly path: string | undefined
  private remote: SocketAddress | undefined
  private readonly signal: AbortSignal | undefined
  /** The listener on `signal`, when there is one. */
  private signalListener: (() => void) | undefined
  private readonly onCloseCallback: ((conn: Connection) => void) | undefined

  /** Received chunks not yet pulled by the source's consumer. */
  private queue: Uint8Array[] = []
  private queuedBytes = 0
  /** The peer's FIN arrived. */
  private readEnded = false
  /** Nobody will read any more: incoming bytes are dropped. */
  private discarding = false
  /** {@link takeBuffered} is moving Node's buffer to the queue ('data' it may emit is that). */
  private takingBuffered = false
  private sourceState: 'idle' | 'reading' | 'done' = 'idle'
  private sinkState: 'idle' | 'writing' | 'done' = 'idle'
  /** The first error; once set, both halves fail with it. */
  private error: Error | undefined
  private closing = false
  /** Which way the sink runs, once called (docs/ARCHITECTURE.md): for tests, through internals. */
  private sinkPath: SinkPath | undefined = undefined
  /** `serve()`'s handler settled while the sink was writing: close once it is done (see release()). */
  private closeAfterSink = false
  /** True once the socket has fully closed. */
  private hasClosed = false
  /** What the loop sink queued this tick; close() flushes it so those bytes go out before our FIN. */
  private writeBatch: WriteBatch | undefined
  private closeTimer: NodeJS.Timeout | undefined
  private closeDeadline = 0
  /** Opens once the socket has fully closed; made when someone first waits for that. */
  private closedLatch: Latch | undefined
  /** The source's pending read, settled by data, the end or an error. */
  private pendingRead:
    | {
        resolve: (result: IteratorResult<readonly Uint8Array[], void>) => void
        reject: (err: unknown) => void
      }
    | undefined
  /** The loop sink's wait for 'drain' or an error; made when it first waits. */
  private writer: Wakeup | undefined
  /**
   * The sink, while it runs without a loop: straight from this connection's own data events
   * (`pipe(conn, ...stages, conn)`), or fed by a source that pushes (a `framed()` outbox).
   */
  private run: SinkRun | undefined

  /** @internal Use {@link connect} or a server's `for await` loop to get a connection. */
  constructor(socket: Socket, init: ConnectionInit = {}) {
    this.socket = socket
    this.path = init.path
    // Fetched now, while the socket is open (see remoteAddress).
    void socket.remotePort
    this.localAddress = localAddressOf(socket, init.path)
    this.signal = init.signal
    this.onCloseCallback = init.onClose
    ;(socket as OwnedSocket)[OWNER] = this

    // Paused before 'data' is listened to, so nothing flows until the source is pulled; Node.js
    // still reads up to `readableHighWaterMark` into its own buffer, then stops reading
    // (https://nodejs.org/docs/latest-v20.x/api/stream.html#two-reading-modes).
    // The listeners are shared by every connection (each finds its own through the socket): no
    // closures per connection.
    socket.pause()
    socket.on('data', Connection.listeners.data)
    // 'end' is the peer's FIN. The socket must be created with `allowHalfOpen: true`, or Node.js
    // would end our side too.
    socket.on('end', Connection.listeners.end)
    socket.on('error', Connection.listeners.error)
    // 'close' comes once, after the handle is closed, with or without an error before it.
    socket.on('close', Connection.listeners.close)
    socket.on('drain', Connection.listeners.drain)
    if (init.idleTimeout !== undefined && init.idleTimeout > 0) {
      // Node.js refreshes this one timer on every read and write: no per-chunk timer of ours.
      socket.setTimeout(init.idleTimeout, () => {
        this.abort(new TimeoutError(`Connection with ${this.name} idle for ${init.idleTimeout} ms`))
      })
    }
    if (this.signal !== undefined) {
      const listener = (): void => this.onSignalAbort()
      this.signalListener = listener
      if (this.signal.aborted) queueMicrotask(listener)
      else this.signal.addEventListener('abort', listener, { once: true })
    }

    this.source = new ConnectionSource(this)
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
    return this.hasClosed
  }

  /**
   * Closes gracefully, without waiting for the peer: ends our side (after whatever was written is
   * flushed) and resolves once that FIN is handed to the OS, at once unless the peer has stopped
   * reading (then at most `timeout`). In the background it keeps reading until the peer ends its
   * side too, for up to `timeout` ms, then destroys the socket; `closed` resolves when that is done,
   * and a server's `close()` still waits for it. Bytes that arrive meanwhile and that nobody reads
   * are dropped. Never rejects; calling it again returns the same wait, and a shorter `timeout`
   * given later shortens the wait for the peer. A sink still writing stops and rejects with
   * `SocketClosedError`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const timeout = validateMs('close()', 'timeout', options.timeout) ?? CLOSE_TIMEOUT
    if (this.hasClosed || this.socket.destroyed) return Promise.resolve()
    if (!this.closing) {
      this.closing = true
      if (this.sourceState !== 'reading') this.discard()
      this.writeBatch?.flush()
      if (!this.socket.writableEnded) this.socket.end()
      this.wake()
    }
    const deadline = Date.now() + timeout
    if (this.closeTimer === undefined || deadline < this.closeDeadline) {
      if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
      this.closeDeadline = deadline
      this.closeTimer = setTimeout(() => this.socket.destroy(), timeout)
    }
    return this.whenEnded()
  }

  /** Resolves once the socket has fully closed: both sides ended, or it was destroyed. */
  get closed(): Promise<void> {
    if (this.isClosed) return Promise.resolve()
    this.closedLatch ??= new Latch()
    return this.closedLatch.wait()
  }

  /** Resolves once our FIN was handed to the OS ('finish'), or the socket has closed. */
  private whenEnded(): Promise<void> {
    if (this.socket.writableFinished) return Promise.resolve()
    const closed = this.closed
    if (this.isClosed) return closed
    return new Promise<void>((resolve) => {
      this.socket.once('finish', resolve)
      void closed.then(() => {
        this.socket.off('finish', resolve)
        resolve()
      })
    })
  }

  /**
   * `serve()`: the handler settled (through {@link connectionInternals}). Closes now, unless its sink is still writing (a
   * handler that started `pipe(conn, conn)` without returning it): then the connection finishes as
   * if the handler had awaited the pipe, and closes once the sink has. Resolves once closed.
   */
  private release(): Promise<void> {
    if (this.sinkState === 'writing' && !this.closing && this.error === undefined) {
      this.closeAfterSink = true
    } else void this.close()
    return this.closed
  }

  /** The peer's address as messages name it. */
  private get name(): string {
    return formatAddress(this.remoteAddress)
  }

  /**
   * Destroys the socket at once. A pending or later read of `source` and write of `sink` reject with
   * `err`, or with an `AbortError` naming the peer when no error is given. Does nothing once closed.
   */
  abort(err?: Error): void {
    if (this.hasClosed) return
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
  private batches(): BatchGenerator<Uint8Array> {
    const iterator: BatchGenerator<Uint8Array> = {
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
      return Promise.reject(
        new ReadInUseError(`Cannot read connection with ${this.name}: another read of its source is pending`),
      )
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
    if (this.hasClosed) {
      this.sourceDone()
      return { error: new SocketClosedError(`Connection with ${this.name} is closed`) }
    }
    return undefined
  }

  /** Settles a pending read once data, the end or an error is there. */
  private wakeReader(): void {
    if (this.run?.readsOwnSource === true) {
      this.pumpDirect()
      return
    }
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

  private write(source: Source<Chunk>): Promise<void> {
    if (this.sinkState !== 'idle')
      return Promise.reject(new SinkInUseError(`sink() was already called on connection with ${this.name}`))
    this.sinkState = 'writing'
    const { root, stages } = takeStages(source)
    if (
      root === this.source &&
      this.sourceState === 'idle' &&
      !this.closing &&
      !this.discarding &&
      this.error === undefined &&
      takeUntouched(root)
    ) {
      this.sinkPath = 'direct'
      return this.writeDirect(stages)
    }
    if (stages.length === 0 && !this.closing && this.error === undefined && !this.hasClosed) {
      const push = takePush(root as Source<Chunk>)
      if (push !== undefined) {
        this.sinkPath = 'pushed'
        return this.writePushed(push)
      }
    }
    this.sinkPath = stages.length > 0 || offersBatches(root) ? 'batches' : 'items'
    return this.writeLoop(source, root, stages)
  }

  /**
   * The sink of `pipe(conn, ...stages, conn)`: its source is this connection's own source, through
   * it-socket stages only (or none). Then no loop has to wait on a read: each chunk is run through
   * the stages and written from the 'data' event that brought it, so an echo costs no promise, and an
   * idle connection holds no suspended read, generator or pipeline, only this record. Backpressure
   * pauses reading until 'drain'. Same results and errors as {@link writeLoop}.
   */
  private writeDirect(stages: AnyStage[]): Promise<void> {
    this.sourceState = 'reading'
    return new Promise<void>((resolve, reject) => {
      this.run = new SinkRun(true, stages, new WriteBatch(this.socket, this), resolve, reject)
      this.pumpDirect()
    })
  }

  /**
   * The sink of a source that pushes (see `PUSH` in `src/batches.ts`): each batch it pushes is
   * written at once, with no loop awaiting it; it is told to hold back while the socket needs a
   * 'drain'. Same results and errors as {@link writeLoop}.
   */
  private writePushed(push: (target: PushTarget<Chunk>) => PushControl): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const run = new SinkRun(false, [], new WriteBatch(this.socket, this), resolve, reject)
      this.run = run
      this.writeBatch = run.batch
      run.resume = push({
        push: (chunks) => this.pushBatch(run, chunks),
        end: () => this.endRun(run, undefined),
        fail: (err) => this.failRun(run, err),
      })
    })
  }

  /** Writes a batch a pushing source hands over; false when it must hold back (see {@link writePushed}). */
  private pushBatch(run: SinkRun, chunks: readonly Chunk[]): boolean {
    if (this.run !== run || run.ending) return false
    if (this.error !== undefined || this.hasClosed || this.closing) {
      this.failRun(
        run,
        this.error ?? new SocketClosedError(`Cannot write: connection with ${this.name} is closed`),
      )
      return false
    }
    try {
      run.batch.writeAll(chunks)
    } catch (err) {
      this.failRun(run, err)
      return false
    }
    if (!this.backedUp) return true
    run.waitingDrain = true
    return false
  }

  /** Runs what is queued, the end or the error through the direct sink, or resumes reading. */
  private pumpDirect(): void {
    const d = this.run
    if (d === undefined || d.ending || !d.readsOwnSource) return
    if (d.waitingDrain && this.error === undefined && !this.hasClosed) return
    const settled = this.settledRead()
    if (settled === undefined) {
      if (this.socket.isPaused()) this.socket.resume()
    } else if ('error' in settled) this.failRun(d, settled.error)
    else if (settled.done === true) this.endRun(d, runStages(d.stages, undefined))
    else this.stepDirect(d, settled.value)
  }

  /** One batch of received chunks through the direct sink's stages and out. */
  private stepDirect(d: SinkRun, chunks: readonly Uint8Array[]): void {
    if (this.error !== undefined || this.hasClosed || this.closing) {
      this.failRun(
        d,
        this.error ?? new SocketClosedError(`Cannot write: connection with ${this.name} is closed`),
      )
      return
    }
    const run = runStages(d.stages, chunks)
    const error = writeOut(d.batch, run)
    if (error !== undefined) this.failRun(d, error.error)
    else if (run.ended) {
      this.sourceDone() // a stage such as until() finished: stop reading
      this.endRun(d, undefined)
    } else if (this.backedUp) {
      d.waitingDrain = true
      this.socket.pause()
    } else if (this.socket.isPaused()) this.socket.resume()
  }

  /** The loop-free sink's input ended: write the stages' last output, if any, then half-close. */
  private endRun(d: SinkRun, last: ReturnType<typeof runStages> | undefined): void {
    if (this.run !== d || d.ending) return // failed already, or ending
    d.ending = true
    if (last !== undefined) {
      const error = writeOut(d.batch, last)
      if (error !== undefined) {
        this.failRun(d, error.error)
        return
      }
    }
    if (this.error !== undefined || this.closing || this.hasClosed) {
      // close() ended our side before this sink did: it was cut short, as at its next chunk.
      this.failRun(
        d,
        this.error ?? new SocketClosedError(`Cannot write: connection with ${this.name} is closed`),
      )
      return
    }
    this.socket.end((err?: Error | null) => {
      if (err != null) this.failRun(d, err)
      else {
        this.sinkDone()
        d.resolve()
      }
    })
  }

  /** The loop-free sink failed: as {@link writeLoop}'s catch, settles the sink with the right error. */
  private failRun(d: SinkRun, err: unknown): void {
    if (this.run !== d) return
    this.run = undefined // sinkError() may abort, which wakes the reader: not us any more
    const error = this.sinkError(err)
    if (d.readsOwnSource && this.sourceState !== 'done') this.sourceDone()
    this.sinkDone()
    d.reject(error)
  }

  /** The loop sink: reads `source` (or the root of its stages) and writes what it yields. */
  private async writeLoop(source: Source<Chunk>, root: Source<unknown>, stages: AnyStage[]): Promise<void> {
    const socket = this.socket
    try {
      this.assertWritable()
      const batch = new WriteBatch(socket, this)
      this.writeBatch = batch
      if (this.sinkPath === 'batches') {
        // it-socket stages up to here (decode, encode, until): run their synchronous steps inline
        // on each batch the root has ready, so a message crosses one await, not one per stage.
        let ended = false
        for await (const chunks of batchesOf(root)) {
          this.assertWritable()
          const run = runStages(stages, chunks)
          batch.addAll(run.out)
          if (run.error !== undefined) {
            batch.flush() // what the stages produced before the error goes out first
            throw run.error.error
          }
          if (run.ended) {
            ended = true
            break // a stage such as until() finished: stop reading the root
          }
          if (this.backedUp) await this.drained(batch)
        }
        if (!ended && stages.length > 0) {
          const run = runStages(stages, undefined)
          batch.addAll(run.out)
          if (run.error !== undefined) {
            batch.flush()
            throw run.error.error
          }
        }
      } else {
        for await (const chunk of source) {
          this.assertWritable()
          batch.addChunk(chunk)
          if (this.backedUp) await this.drained(batch)
        }
      }
      // close() ended our side before this sink did: it was cut short, as at its next chunk.
      this.assertWritable()
      batch.flush()
      // Half-close.
      await new Promise<void>((resolve, reject) => {
        socket.end((err?: Error | null) => (err == null ? resolve() : reject(err)))
      })
    } catch (err) {
      throw this.sinkError(err)
    } finally {
      this.sinkDone()
    }
  }

  /**
   * The error a failed sink rejects with: the connection's own error, `SocketClosedError` once
   * closed, or else what the source threw, after aborting the connection (it cannot be trusted to
   * carry whole data any more).
   */
  private sinkError(err: unknown): unknown {
    if (this.error !== undefined) return this.error
    if (err instanceof SocketClosedError) return err
    if (this.hasClosed)
      return new SocketClosedError(`Cannot write: connection with ${this.name} is closed`, { cause: err })
    const error = err instanceof Error ? err : new Error(String(err))
    this.abort(error)
    return error
  }

  /** The sink has finished; once the source was left early too, close. */
  private sinkDone(): void {
    this.run = undefined
    this.sinkState = 'done'
    if (this.closeAfterSink || (this.sourceState === 'done' && !this.readEnded)) void this.close()
  }

  /**
   * True when Node's write buffer holds `SOCKET_HIGH_WATER_MARK` or more: the sink must wait for
   * 'drain'. Not `writableNeedDrain`, which a corked burst past the mark raises even when the kernel
   * then takes every byte on uncork: waiting for that 'drain' cost a pause per 64 KiB frame.
   */
  private get backedUp(): boolean {
    return this.socket.writableLength >= this.socket.writableHighWaterMark
  }

  /** Writes what is batched, then waits until Node's write buffer drains (or the socket fails). */
  private async drained(batch: WriteBatch): Promise<void> {
    batch.flush()
    this.writer ??= new Wakeup()
    await this.writer.wait()
    this.assertWritable()
  }

  /** Throws the connection's error, or `SocketClosedError` once it is closing or closed. */
  private assertWritable(): void {
    if (this.error !== undefined) throw this.error
    if (this.hasClosed || this.closing) {
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
    this.writer?.wake()
    const run = this.run
    if (run?.readsOwnSource === false && run.waitingDrain) {
      // As the loop sink's wait for 'drain' ends on an error or a close.
      if (this.error !== undefined || this.hasClosed || this.closing) {
        this.failRun(
          run,
          this.error ?? new SocketClosedError(`Cannot write: connection with ${this.name} is closed`),
        )
      }
    }
  }

  private onData(chunk: Buffer): void {
    if (this.discarding || this.takingBuffered) return
    const d = this.run
    if (d?.readsOwnSource === true && !d.ending && !d.waitingDrain && this.queue.length === 0) {
      this.stepDirect(d, [chunk])
      return
    }
    this.queue.push(chunk)
    this.queuedBytes += chunk.byteLength
    if (this.queuedBytes >= SOURCE_HIGH_WATER_MARK) this.socket.pause()
    this.wakeReader()
  }

  private onEnd(): void {
    this.readEnded = true
    this.wake()
  }

  private onDrain(): void {
    this.writer?.wake()
    const run = this.run
    if (run?.waitingDrain === true) {
      run.waitingDrain = false
      if (run.readsOwnSource) this.pumpDirect()
      else run.resume?.resume()
    }
  }

  private onError(err: Error): void {
    if (this.error === undefined && !this.discarding) this.takeBuffered()
    this.error ??= translateError(err, 'connection with', this.name)
    this.wake()
  }

  /**
   * Moves what Node.js still holds in the socket's readable buffer to our queue. A reset destroys
   * the socket, and Node.js emits no 'data' for what it had buffered (while paused) once destroyed:
   * without this, bytes that arrived before the reset were lost, where a raw `read()` loop and
   * Python deliver them first. The source yields them, then throws the error.
   */
  private takeBuffered(): void {
    this.takingBuffered = true
    try {
      for (let chunk: Buffer | null = this.socket.read(); chunk !== null; chunk = this.socket.read()) {
        this.queue.push(chunk)
        this.queuedBytes += chunk.byteLength
      }
    } finally {
      this.takingBuffered = false
    }
  }

  private onSignalAbort(): void {
    this.abort(
      new AbortError(`Connection with ${this.name} was aborted by its signal`, {
        cause: this.signal?.reason,
      }),
    )
  }

  private onSocketClose(): void {
    this.hasClosed = true
    this.closedLatch?.open()
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
    if (this.signalListener !== undefined) this.signal?.removeEventListener('abort', this.signalListener)
    this.wake()
    this.onCloseCallback?.(this)
  }

  static {
    internals = {
      batches: (conn) => conn.batches(),
      release: (conn) => conn.release(),
      sinkPath: (conn) => conn.sinkPath,
    }
  }

  /** The socket's event listeners, shared by every connection; in each, `this` is the socket. */
  private static readonly listeners = {
    data(this: OwnedSocket, chunk: Buffer): void {
      this[OWNER].onData(chunk)
    },
    end(this: OwnedSocket): void {
      this[OWNER].onEnd()
    },
    drain(this: OwnedSocket): void {
      this[OWNER].onDrain()
    },
    error(this: OwnedSocket, err: Error): void {
      this[OWNER].onError(err)
    },
    close(this: OwnedSocket): void {
      this[OWNER].onSocketClose()
    },
  }
}

/**
 * Writes what a run of stages produced; returns the error to fail with, if any: the stages' own, or
 * the `TypeError` of a chunk that is not bytes (a decoder's strings piped straight to the sink).
 */
function writeOut(batch: WriteBatch, run: ReturnType<typeof runStages>): { error: unknown } | undefined {
  try {
    batch.writeAll(run.out)
  } catch (err) {
    return { error: err }
  }
  return run.error
}

/**
 * @internal What the rest of it-socket may do with a connection that its users may not: kept off the
 * public type (private members), reached through the class's static block.
 */
export interface ConnectionInternals {
  /** The source's batches (see {@link ConnectionSource}). */
  batches(conn: Connection): BatchGenerator<Uint8Array>
  /** `serve()`'s handler settled: close, or close once the sink is done (see `release()`). */
  release(conn: Connection): Promise<void>
  /** Which way the sink runs (`undefined` before `sink()` is called): see {@link SinkPath}. */
  sinkPath(conn: Connection): SinkPath | undefined
}

/**
 * @internal The ways a connection's sink runs, chosen by the shape of the pipe (docs/ARCHITECTURE.md):
 * - `direct`: `pipe(conn, ...stages, conn)` with it-socket stages only: from the socket's own events;
 * - `pushed`: a source that pushes (a `framed()` stream's write queue): each burst written at once;
 * - `batches`: a loop over the batches of a source with it-socket stages (or that offers batches),
 *   the stages run inline on each batch;
 * - `items`: a loop over any other source, chunk by chunk.
 */
export type SinkPath = 'direct' | 'pushed' | 'batches' | 'items'

/** @internal See {@link ConnectionInternals}. */
export function connectionInternals(): ConnectionInternals {
  return internals
}

/** Where a socket's shared listeners find the connection it belongs to. */
const OWNER: unique symbol = Symbol('it-socket.connection')

/** A socket that belongs to a {@link Connection}. */
interface OwnedSocket extends Socket {
  [OWNER]: Connection
}

/**
 * A connection's `source`: its chunks, read in batches or one by one (see `batched()`), or taken whole
 * by its own sink (`pipe(conn, ...stages, conn)`), which then runs straight from the socket's events.
 */
class ConnectionSource extends BatchedItems<Uint8Array> {
  constructor(private readonly conn: Connection) {
    super()
  }

  protected override openBatches(): BatchGenerator<Uint8Array> {
    return internals.batches(this.conn)
  }
}

/** The state of a connection's loop-free sink (see `Connection.writeDirect` and `writePushed`). */
class SinkRun {
  /** How to tell a pushing source to go on after it was held back. */
  resume: PushControl | undefined = undefined
  /** Reading (or the pushing source) is held back until Node's write buffer drains. */
  waitingDrain = false
  /** The input has ended (or a stage finished): only the half-close is left. */
  ending = false

  constructor(
    /** Runs from the connection's own data events (else a pushing source feeds it). */
    readonly readsOwnSource: boolean,
    readonly stages: AnyStage[],
    readonly batch: WriteBatch,
    readonly resolve: () => void,
    readonly reject: (err: unknown) => void,
  ) {}
}
