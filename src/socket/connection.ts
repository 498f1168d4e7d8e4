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
import { SinkInUseError, SocketClosedError } from '../errors.js'
import { observeClose, observeError, observeOpen } from '../observe/diagnostics.js'
import { Wakeup } from '../wakeup.js'
import type { LifecycleInit } from './connection-lifecycle.js'
import { ConnectionReader } from './connection-reader.js'
import { WriteBatch } from './write-batch.js'

export type { CloseOptions } from './connection-lifecycle.js'

/** @internal How the connect and listen code hand a socket to a {@link Connection}. */
export interface ConnectionInit extends LifecycleInit {
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
 *
 * The class is cut in three layers, one file each: the lifecycle and close contract
 * (`connection-lifecycle.ts`), the read side (`connection-reader.ts`), and the write side, here: the
 * sink, in the four ways docs/ARCHITECTURE.md tables by pipe shape.
 */
export class Connection
  extends ConnectionReader
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

  private readonly onCloseCallback: ((conn: Connection) => void) | undefined
  private sinkState: 'idle' | 'writing' | 'done' = 'idle'
  /** Which way the sink runs, once called (docs/ARCHITECTURE.md): for tests, through internals. */
  private sinkPath: SinkPath | undefined = undefined
  /** `serve()`'s handler settled while the sink was writing: close once it is done (see release()). */
  private closeAfterSink = false
  /**
   * The sink's write batch: what the loop sink queued this tick, which close() flushes so those bytes
   * go out before our FIN; and the count of bytes written.
   */
  private writeBatch: WriteBatch | undefined
  /** The loop sink's wait for 'drain' or an error; made when it first waits. */
  private writer: Wakeup | undefined
  /**
   * The sink, while it runs without a loop: straight from this connection's own data events
   * (`pipe(conn, ...stages, conn)`), or fed by a source that pushes (a `framed()` outbox).
   */
  private run: SinkRun | undefined

  /** @internal Use {@link connect} or a server's `for await` loop to get a connection. */
  constructor(socket: Socket, init: ConnectionInit = {}) {
    super(socket, init)
    this.onCloseCallback = init.onClose
    this.source = new ConnectionSource(this)
    this.sink = (source) => this.write(source)
    observeOpen(this, init.server)
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

  /**
   * `startTls()` takes the socket over (through {@link connectionInternals}): returns it, paused,
   * with the bytes received and not read, which belong to the handshake. Only a connection that is
   * open both ways, with no read waiting and no sink writing but a pushing one (a `framed()`
   * writer, whose writes reject from now on), can be upgraded.
   */
  private upgrade(): { socket: Socket; buffered: Uint8Array[] } {
    const cannot = `Cannot start TLS on connection with ${this.name}`
    if (this.upgraded) throw new SocketClosedError(`${cannot}: startTls() already took it over`)
    if (this.error !== undefined) throw this.error
    if (this.closing || this.hasClosed || this.socket.destroyed) throw this.closedError()
    if (this.readEnded) throw new SocketClosedError(`${cannot}: the peer has ended its side`)
    if (this.sinkState === 'done') throw new SocketClosedError(`${cannot}: our side was ended`)
    const run = this.run
    if (this.sinkState === 'writing' && (run === undefined || run.readsOwnSource)) {
      throw new SinkInUseError(`${cannot}: its sink is still writing (let the pipe end first)`)
    }
    const buffered = this.takeForUpgrade()
    // What was written goes out in the clear, before the handshake.
    this.writeBatch?.flush()
    this.sinkState = 'done'
    this.run = undefined
    run?.reject(this.upgradedError('write'))
    const socket = this.releaseSocket()
    socket.pause()
    return { socket, buffered }
  }

  private write(source: Source<Chunk>): Promise<void> {
    if (this.upgraded) return Promise.reject(this.upgradedError('write'))
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
      this.writeBatch = this.run.batch
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
      this.failRun(run, this.error ?? this.closedError())
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
      this.failRun(d, this.error ?? this.closedError())
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
      this.failRun(d, this.error ?? this.closedError())
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
    if (this.hasClosed) return this.closedError({ cause: err })
    const error = err instanceof Error ? err : new Error(String(err))
    this.abort(error)
    return error
  }

  /** The sink has finished; once the source was left early too, close. */
  private sinkDone(): void {
    this.run = undefined
    this.sinkState = 'done'
    if (this.upgraded) return // the socket is the TLS connection's now
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
      throw this.closedError()
    }
  }

  protected override wake(): void {
    this.wakeReader()
    this.writer?.wake()
    const run = this.run
    if (run?.readsOwnSource === false && run.waitingDrain) {
      // As the loop sink's wait for 'drain' ends on an error or a close.
      if (this.error !== undefined || this.hasClosed || this.closing) {
        this.failRun(run, this.error ?? this.closedError())
      }
    }
  }

  protected override prepareClose(): void {
    super.prepareClose()
    this.writeBatch?.flush()
  }

  protected override afterClose(): void {
    observeClose(this, this.init.server, this.error)
    this.onCloseCallback?.(this)
  }

  protected override get bytesOut(): number {
    return this.writeBatch?.written ?? 0
  }

  protected override failed(err: Error): void {
    observeError(this, this.init.server, err)
  }

  protected override takeDirectly(chunk: Uint8Array): boolean {
    const d = this.run
    if (d?.readsOwnSource !== true || d.ending || d.waitingDrain) return false
    this.stepDirect(d, [chunk])
    return true
  }

  protected override pumpOwnSource(): boolean {
    if (this.run?.readsOwnSource !== true) return false
    this.pumpDirect()
    return true
  }

  protected override sinkFinished(): boolean {
    return this.sinkState === 'done'
  }

  protected override onDrain(): void {
    this.writer?.wake()
    const run = this.run
    if (run?.waitingDrain === true) {
      run.waitingDrain = false
      if (run.readsOwnSource) this.pumpDirect()
      else run.resume?.resume()
    }
  }

  static {
    internals = {
      batches: (conn) => conn.batches(),
      release: (conn) => conn.release(),
      sinkPath: (conn) => conn.sinkPath,
      upgrade: (conn) => conn.upgrade(),
      succeed: (conn, successor) => conn.setSuccessor(successor),
      init: (conn) => conn.init,
      error: (conn) => conn.error,
    }
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
  /** `startTls()`: takes the socket over, with the bytes received and not read. */
  upgrade(conn: Connection): { socket: Socket; buffered: Uint8Array[] }
  /** `startTls()`: the TLS connection made over `conn`'s socket, which `close()` and `abort()` now act on. */
  succeed(conn: Connection, successor: Connection): void
  /** What `conn` was made with (path, idle timeout, signal): its TLS successor gets the same. */
  init(conn: Connection): LifecycleInit
  /** The error `conn` failed with, if it did. */
  error(conn: Connection): Error | undefined
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

  /**
   * Leaving the source before its first read is leaving it early too (docs/CLOSE.md): the connection
   * must learn it, so that it stops reading and closes once its sink is done (`readable.cancel()` of
   * `toWebStreams()` before any read).
   */
  override return(): Promise<IteratorResult<Uint8Array, void>> {
    if (this.takeWhole()) void internals.batches(this.conn).return()
    return super.return()
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
