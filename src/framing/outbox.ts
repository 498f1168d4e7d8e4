import { Uint8ArrayList } from 'uint8arraylist'
import { BatchedItems, type BatchGenerator, PUSH, type PushControl, type PushTarget } from '../batches.js'
import { AbortError, SocketClosedError } from '../errors.js'

/**
 * A queued message with a writer of its own (a `write()` with a signal, a `request()`): told
 * synchronously when the sink takes it or the outbox fails, and withdrawable until taken
 * ({@link Outbox.withdraw}). Messages are taken whole, so withdrawing one never breaks the framing.
 */
export abstract class OutboxEntry {
  /** Taken, withdrawn or failed: the outbox holds it for nobody any more. */
  done = false
  /** The encoded message. */
  abstract readonly chunk: Uint8Array | Uint8ArrayList
  /** The sink took the message (called once, synchronously, as it is taken; `chunk` is no longer read). */
  abstract taken(): void
  /** The outbox failed before the sink took the message: `error` is why. */
  abstract failed(error: unknown): void
}

/** A `write()` with a signal: its own promise, and an abort listener that withdraws it until taken. */
class SignalledWrite extends OutboxEntry {
  constructor(
    readonly chunk: Uint8Array | Uint8ArrayList,
    private readonly outbox: Outbox,
    private readonly signal: AbortSignal,
    private readonly resolve: () => void,
    private readonly reject: (err: unknown) => void,
  ) {
    super()
  }

  taken(): void {
    this.signal.removeEventListener('abort', this)
    this.resolve()
  }

  failed(error: unknown): void {
    this.signal.removeEventListener('abort', this)
    this.reject(error)
  }

  /** The signal aborted (an object listener: no closure per write). */
  handleEvent(): void {
    if (!this.outbox.withdraw(this)) return
    this.reject(
      new AbortError('write() was aborted before the connection took the message', {
        cause: this.signal.reason,
      }),
    )
  }
}

type Item = Uint8Array | Uint8ArrayList | OutboxEntry

/** Most messages yielded to the sink in one `Uint8ArrayList` (bounds the writev a burst becomes). */
const MAX_BATCH = 1024

interface Batch {
  promise: Promise<void>
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * The write queue behind `framed()`: whole encoded messages go in, and one `drain()` generator, given
 * once to the underlying sink, takes them out. Everything queued in one tick is taken in that tick,
 * which lets the socket batch it into one write.
 *
 * Writes queued while the sink is busy share one promise (a batch), settled when the sink has taken
 * the last of them: one promise per burst rather than per message keeps a burst of small writes cheap.
 * A write with a signal, and each `request()`, is queued as an {@link OutboxEntry} instead: told of
 * its own fate, and withdrawable until taken.
 */
/**
 * The state of an outbox whose write side was ended: the error of writing after it is made when a
 * write needs it, not at every half-close (an error's stack trace costs tens of microseconds, and
 * most connections never write after their end).
 */
const ENDED: { readonly error: unknown } = {
  get error(): unknown {
    return new SocketClosedError('Cannot write: the write side was ended (sink source finished)')
  },
}

export class Outbox implements PushControl {
  private items: Item[] = []
  private head = 0
  /** Items ever queued, and ever taken (or withdrawn): positions that outlive `items` resets. */
  private queued = 0
  private taken = 0
  /** Bytes queued and not yet taken. */
  private bytes = 0
  private batch: Batch | undefined
  private batchEnd = 0
  /** Once set, nothing more may be queued: the error a write then fails with. */
  private closed: { error: unknown } | undefined
  /** `end()` was called: `drain()` returns once the queue is empty. */
  private ended = false
  /** `abort()` was called: `drain()` throws this. */
  private failure: { error: unknown } | undefined
  private wake: (() => void) | undefined
  private roomWaiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = []
  /** The sink this outbox pushes to, when the sink took `drain()` that way (see `PUSH`). */
  private target: PushTarget<Uint8Array | Uint8ArrayList> | undefined
  /** A push is queued for the end of this tick. */
  private pushScheduled = false
  /** The target held us back: wait for `resume()`. */
  private pushHeld = false

  /** @param highWaterMark bytes queued past which `full` is true and `room()` waits */
  constructor(private readonly highWaterMark: number) {}

  /** Why nothing more can be queued, if so: the error a write fails with. */
  get closedError(): unknown {
    return this.closed?.error
  }

  /** Whether `highWaterMark` bytes or more wait to be taken. */
  get full(): boolean {
    return this.bytes >= this.highWaterMark
  }

  /** Queues `chunk`; settles when the sink has taken it, when `signal` withdraws it, or when the sink fails. */
  enqueue(chunk: Uint8Array | Uint8ArrayList, signal?: AbortSignal): Promise<void> {
    if (this.closed !== undefined) return Promise.reject(this.closed.error)
    if (signal === undefined) {
      this.add(chunk)
      this.batch ??= deferred()
      this.batchEnd = this.queued
      return this.batch.promise
    }
    return new Promise<void>((resolve, reject) => {
      const entry = new SignalledWrite(chunk, this, signal, resolve, reject)
      signal.addEventListener('abort', entry, { once: true })
      this.add(entry)
    })
  }

  /**
   * Hands `chunk` to the sink at once when nothing waits before it and the sink takes pushes: a lone
   * write (a `request()` with nothing queued) then costs no tick, no promise and no batch. Returns
   * false, taking nothing, when it must be queued with {@link enqueue} instead (no pushing sink yet,
   * held back, items waiting, closed).
   */
  sendNow(chunk: Uint8Array | Uint8ArrayList): boolean {
    const target = this.target
    if (
      target === undefined ||
      this.pushHeld ||
      this.head < this.items.length ||
      this.closed !== undefined ||
      this.failure !== undefined
    ) {
      return false
    }
    // Counted as queued and taken at once, so the positions batches settle by stay in step.
    this.queued++
    this.taken++
    if (!target.push([chunk])) this.pushHeld = true
    return true
  }

  /** Queues `entry` (its `chunk` set); throws when the outbox is closed. */
  offer(entry: OutboxEntry): void {
    if (this.closed !== undefined) throw this.closed.error
    this.add(entry)
  }

  /**
   * Withdraws `entry` if the sink has not taken it yet (it stays in the queue, skipped when reached).
   * Returns false when it was already taken, withdrawn or failed.
   */
  withdraw(entry: OutboxEntry): boolean {
    if (entry.done) return false
    entry.done = true
    this.bytes -= entry.chunk.byteLength
    if (this.roomWaiters.length > 0 && !this.full) this.notifyRoom()
    return true
  }

  /** Queues `chunk` with nobody waiting on it; throws when the outbox is closed. */
  push(chunk: Uint8Array | Uint8ArrayList): void {
    if (this.closed !== undefined) throw this.closed.error
    this.add(chunk)
  }

  /** Resolves once fewer than `highWaterMark` bytes are queued (backpressure for `sink()`). */
  room(): Promise<void> {
    if (this.closed !== undefined && !this.ended) return Promise.reject(this.closed.error)
    if (!this.full) return Promise.resolve()
    return new Promise((resolve, reject) => this.roomWaiters.push({ resolve, reject }))
  }

  /** Queues nothing more: `drain()` returns after what is queued, and the sink half-closes. */
  end(): void {
    if (this.closed !== undefined) return
    this.closed = ENDED
    this.ended = true
    this.notify()
  }

  /** Makes `drain()` throw `error`, so the sink aborts; what is not taken fails with it. */
  abort(error: unknown): void {
    if (this.failure !== undefined) return
    this.failure = { error }
    this.fail(error)
    this.notify()
  }

  /** Fails what is queued and every later write with `error`: the sink stopped or failed. */
  fail(error: unknown): void {
    this.target = undefined
    if (this.closed === undefined || this.ended) this.closed = { error }
    this.ended = false
    // Every entry is marked done before any is told: an entry's `failed()` may withdraw others.
    const failed: OutboxEntry[] = []
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]
      if (item instanceof OutboxEntry && !item.done) {
        item.done = true
        failed.push(item)
      }
    }
    this.items = []
    this.head = 0
    this.taken = this.queued
    this.bytes = 0
    this.batch?.reject(error)
    this.batch = undefined
    for (const waiter of this.roomWaiters.splice(0)) waiter.reject(error)
    for (const entry of failed) entry.failed(error)
  }

  /**
   * The source given to the underlying sink: the bytes of each message, in order. When several
   * messages wait, they are yielded together as one `Uint8ArrayList` of their buffers (no copy, at
   * most `MAX_BATCH` of them), so a burst costs one step of the sink's loop rather than one per message.
   */
  drain(): AsyncGenerator<Uint8Array | Uint8ArrayList> {
    // Offered as batches and for pushing too: a connection's sink then writes each burst at once.
    return new OutboxOutput(this)
  }

  /** @internal Starts pushing to `target` instead of being drained (see `PUSH` in `src/batches.ts`). */
  attach(target: PushTarget<Uint8Array | Uint8ArrayList>): void {
    this.target = target
    this.schedulePush()
  }

  /** Goes on pushing after the target held us back. */
  resume(): void {
    this.pushHeld = false
    this.schedulePush()
  }

  /** Pushes at the end of this tick, so a burst of writes in one tick becomes one batch. */
  private schedulePush(): void {
    if (this.target === undefined || this.pushScheduled || this.pushHeld) return
    this.pushScheduled = true
    process.nextTick(pushNow, this)
  }

  /** @internal Hands everything queued to the target, then its end or failure. */
  pushNow(): void {
    this.pushScheduled = false
    const target = this.target
    if (target === undefined || this.pushHeld) return
    if (this.failure !== undefined) {
      this.target = undefined
      target.fail(this.failure.error)
      return
    }
    if (this.head < this.items.length) {
      const chunks: (Uint8Array | Uint8ArrayList)[] = []
      while (this.head < this.items.length) {
        const chunk = this.take()
        if (chunk !== undefined) chunks.push(chunk)
      }
      this.items = []
      this.head = 0
      if (chunks.length > 0 && !target.push(chunks)) {
        this.pushHeld = true
        return
      }
    }
    if (this.ended) {
      this.target = undefined
      target.end()
    }
  }

  /** @internal The batches `drain()` yields to a sink that pulls. */
  async *drainBatches(): BatchGenerator<Uint8Array | Uint8ArrayList> {
    try {
      for (;;) {
        while (this.head < this.items.length) {
          if (this.items.length - this.head === 1) {
            const chunk = this.take()
            if (chunk !== undefined) yield [chunk]
            continue
          }
          const batch = new Uint8ArrayList()
          const end = Math.min(this.items.length, this.head + MAX_BATCH)
          while (this.head < end) {
            const chunk = this.take()
            if (chunk !== undefined) batch.append(chunk)
          }
          if (batch.byteLength > 0) yield [batch]
        }
        this.items = []
        this.head = 0
        if (this.failure !== undefined) throw this.failure.error
        if (this.ended) return
        await new Promise<void>((resolve) => {
          this.wake = resolve
        })
      }
    } finally {
      if (this.failure === undefined && (!this.ended || this.head < this.items.length)) {
        // The sink stopped taking before the end: nothing more can be sent.
        this.fail(new SocketClosedError('Cannot write: the connection stopped taking data'))
      }
    }
  }

  /** Takes the next item: settles its writers and returns its bytes, or `undefined` if withdrawn. */
  private take(): Uint8Array | Uint8ArrayList | undefined {
    const item = this.items[this.head++] as Item
    this.taken++
    let chunk: Uint8Array | Uint8ArrayList
    if (item instanceof OutboxEntry) {
      if (item.done) return undefined
      item.done = true
      chunk = item.chunk
      item.taken()
    } else chunk = item
    this.bytes -= chunk.byteLength
    if (this.batch !== undefined && this.taken >= this.batchEnd) {
      this.batch.resolve()
      this.batch = undefined
    }
    if (this.roomWaiters.length > 0 && !this.full) this.notifyRoom()
    return chunk
  }

  private add(item: Item): void {
    this.items.push(item)
    this.queued++
    this.bytes += item instanceof OutboxEntry ? item.chunk.byteLength : item.byteLength
    this.notify()
  }

  /** Resumes `drain()` if it waits for items (once: a burst of adds wakes it once), or pushes. */
  private notify(): void {
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      wake()
    }
    this.schedulePush()
  }

  private notifyRoom(): void {
    for (const waiter of this.roomWaiters.splice(0)) waiter.resolve()
  }
}

function deferred(): Batch {
  let resolve!: () => void
  let reject!: (err: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

function pushNow(outbox: Outbox): void {
  outbox.pushNow()
}

/** What `drain()` returns: the queued bytes, pulled in batches or item by item, or pushed. */
class OutboxOutput extends BatchedItems<Uint8Array | Uint8ArrayList> {
  constructor(private readonly outbox: Outbox) {
    super()
  }

  protected override openBatches(): BatchGenerator<Uint8Array | Uint8ArrayList> {
    return this.outbox.drainBatches()
  }

  [PUSH](target: PushTarget<Uint8Array | Uint8ArrayList>): PushControl {
    this.outbox.attach(target)
    return this.outbox
  }
}
