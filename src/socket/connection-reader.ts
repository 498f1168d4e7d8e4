/**
 * A connection's read side: the queue of received chunks, the source's hand-written batch
 * iterator (arriving data settles the pending read directly), the end of the source (the peer's
 * FIN, an error, or the consumer leaving early), and backpressure on the peer (a consumer that stops
 * pulling stops the socket reading). Built on the lifecycle (`connection-lifecycle.ts`); the write
 * side (`connection.ts`) builds on it.
 *
 * @module
 */
import type { BatchGenerator } from '../batches.js'
import { ReadInUseError, SocketClosedError } from '../errors.js'
import { SOURCE_HIGH_WATER_MARK } from '../limits.js'
import { ConnectionLifecycle } from './connection-lifecycle.js'

const DONE: IteratorReturnResult<void> = { done: true, value: undefined }

/** @internal The read layer of a `Connection`: see the module comment. */
export abstract class ConnectionReader extends ConnectionLifecycle {
  /** Received chunks not yet pulled by the source's consumer. */
  protected queue: Uint8Array[] = []
  private queuedBytes = 0
  /** The peer's FIN arrived. */
  protected readEnded = false
  /** Nobody will read any more: incoming bytes are dropped. */
  protected discarding = false
  /** {@link takeBuffered} is moving Node's buffer to the queue ('data' it may emit is that). */
  private takingBuffered = false
  protected sourceState: 'idle' | 'reading' | 'done' = 'idle'
  /** The source's pending read, settled by data, the end or an error. */
  private pendingRead:
    | {
        resolve: (result: IteratorResult<readonly Uint8Array[], void>) => void
        reject: (err: unknown) => void
      }
    | undefined

  /**
   * Bytes received and held in memory but not yet pulled from `source`: it-socket's queue plus
   * Node.js's readable buffer. Stays below about `SOURCE_HIGH_WATER_MARK` + `SOCKET_HIGH_WATER_MARK` + 64 KiB.
   */
  get readableLength(): number {
    return this.queuedBytes + this.socket.readableLength
  }

  /** The direct sink takes `chunk` now (nothing is queued before it); false to queue it. */
  protected abstract takeDirectly(chunk: Uint8Array): boolean
  /**
   * When the write side runs a sink from this connection's own data (`pipe(conn, ...stages, conn)`),
   * lets it take what is queued, the end or the error, and returns true; else returns false.
   */
  protected abstract pumpOwnSource(): boolean
  /** The sink has finished (so a source left early closes the connection). */
  protected abstract sinkFinished(): boolean

  /**
   * The source's batches: every chunk queued when the consumer pulls, in one array. Hand-written
   * rather than an async generator so that arriving data settles the pending read directly: one
   * promise per read, no generator to resume.
   */
  protected batches(): BatchGenerator<Uint8Array> {
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
    if (this.upgraded) return Promise.reject(this.upgradedError('read'))
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
  protected settledRead(): IteratorResult<readonly Uint8Array[], void> | { error: unknown } | undefined {
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
  protected wakeReader(): void {
    if (this.pumpOwnSource()) return
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
  protected sourceDone(): void {
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
      this.dropReceived()
      this.socket.pause()
      if (this.sinkFinished()) void this.close()
    }
  }

  /**
   * For `startTls()`: the bytes received and not read (they belong to the TLS handshake), after
   * checking that no read is waiting. The source is finished: reading it again throws.
   */
  protected takeForUpgrade(): Uint8Array[] {
    if (this.pendingRead !== undefined) {
      throw new ReadInUseError(
        `Cannot start TLS on connection with ${this.name}: a read of its source is pending`,
      )
    }
    const chunks = this.queue
    this.queue = []
    this.queuedBytes = 0
    this.sourceState = 'done'
    this.discarding = false
    return chunks
  }

  /** The error of using this connection after `startTls()` took it over. */
  protected upgradedError(what: 'read' | 'write'): SocketClosedError {
    return new SocketClosedError(
      `Cannot ${what}: connection with ${this.name} was upgraded to TLS; use the connection startTls() returned`,
    )
  }

  /** Drops whatever arrives from now on, and keeps reading so the peer's FIN can be seen. */
  protected discard(): void {
    this.discarding = true
    this.dropReceived()
    this.socket.resume()
  }

  protected override prepareClose(): void {
    if (this.sourceState !== 'reading') this.discard()
  }

  /** Drops what was received and not read (the queue is ours: what a read took was swapped out). */
  protected override dropReceived(): void {
    this.queue.length = 0
    this.queuedBytes = 0
  }

  protected override beforeError(): void {
    if (!this.discarding) this.takeBuffered()
  }

  protected override onData(chunk: Buffer): void {
    if (this.discarding || this.takingBuffered) return
    if (this.queue.length === 0 && this.takeDirectly(chunk)) return
    this.queue.push(chunk)
    this.queuedBytes += chunk.byteLength
    if (this.queuedBytes >= SOURCE_HIGH_WATER_MARK) this.socket.pause()
    this.wakeReader()
  }

  protected override onEnd(): void {
    this.readEnded = true
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
}
