import type { RemoteInfo, Socket } from 'node:dgram'
import type { Source } from 'it-stream-types'
import {
  AbortError,
  ConnectionRefusedError,
  DatagramTooLargeError,
  type ItSocketError,
  SinkInUseError,
  SocketClosedError,
} from '../errors.js'
import { MAX_OUTSTANDING_SENDS } from '../limits.js'
import { Latch, Wakeup } from '../wakeup.js'
import { translateError } from './translate-error.js'

/** Largest UDP payload over IPv4, in bytes: 65,535 − 20 (IP header) − 8 (UDP header). */
export const MAX_UDP4_PAYLOAD = 65_507

/** Largest UDP payload over IPv6 without jumbograms, in bytes: 65,535 − 8 (UDP header). */
export const MAX_UDP6_PAYLOAD = 65_527

/**
 * Datagrams up to this size (8 KiB) cannot fail with EMSGSIZE on the systems Node.js supports (the
 * smallest default limit, macOS's `net.inet.udp.maxdgram`, is 9,216 bytes), so they share one send
 * callback; a larger one gets a callback that remembers its size, for the error message.
 */
const SHARED_CALLBACK_MAX_SIZE = 8 * 1024

/** @internal What bind() and connect() hand to a {@link DatagramEndpoint}. */
export interface EndpointInit {
  /** Names the socket in messages: `UDP socket 127.0.0.1:5000`. */
  name: string
  /** Datagrams queued while nobody pulls `source`. */
  queueSize: number
  /** Largest payload the socket's family can carry: {@link MAX_UDP4_PAYLOAD} or {@link MAX_UDP6_PAYLOAD}. */
  maxPayload: number
  /** Aborts the socket with an `AbortError` when it fires. */
  signal?: AbortSignal | undefined
}

/**
 * @internal The machinery shared by `DatagramSocket` and `DatagramConnection`: a bounded receive
 * queue feeding a pull-based `source`, a sink that keeps at most {@link MAX_OUTSTANDING_SENDS} sends
 * in flight, and closing. `In` is what `source` yields, `Out` what `sink` takes.
 */
export abstract class DatagramEndpoint<In, Out> implements AsyncDisposable {
  readonly source: AsyncGenerator<In, void, unknown>
  readonly sink: (source: Source<Out>) => Promise<void>

  protected readonly socket: Socket
  protected readonly name: string
  protected readonly maxPayload: number
  private readonly queueSize: number
  private readonly signal: AbortSignal | undefined

  /** Received datagrams not yet pulled: a ring of `count` items from `head`, grown up to `queueSize`. */
  private ring: (In | undefined)[]
  private head = 0
  private count = 0
  private droppedCount = 0
  /** False once nobody will read again (source left, closing, failed): arrivals are dropped. */
  private accepting = true
  private sinkBusy = false
  /** Sends handed to the socket whose callback has not run yet. */
  private outstanding = 0
  /** The sink waits until `outstanding` is at most this. */
  private drainTarget = 0
  /** The first error of the socket; once set, both halves fail with it. */
  private error: Error | undefined
  /** The first failed send of the running sink call; it rejects with it. */
  private sendError: ItSocketError | undefined
  /** close() was called. */
  private closing = false
  /** socket.close() was called: callbacks of sends still resolving their address may never run. */
  private handleClosing = false
  /** True once the socket has fully closed (the latch is the one record of it). */
  private get closed(): boolean {
    return this.closedLatch.opened
  }
  /** Opens once the socket has fully closed. */
  private readonly closedLatch = new Latch()
  /** The source's wait for a datagram, the close or an error. */
  private readonly reader = new Wakeup()
  /** The sink's wait for outstanding sends to complete. */
  private readonly writer = new Wakeup()

  protected constructor(socket: Socket, init: EndpointInit) {
    this.socket = socket
    this.name = init.name
    this.queueSize = init.queueSize
    this.maxPayload = init.maxPayload
    this.signal = init.signal
    this.ring = new Array<In | undefined>(Math.min(init.queueSize, 16)).fill(undefined)

    // Node.js reads every datagram as it arrives and has no way to pause a dgram socket, so the
    // bound is ours: past `queueSize`, 'message' drops (https://nodejs.org/api/dgram.html#event-message).
    socket.on('message', this.onMessage)
    // Receive errors, including ICMP errors on a connected socket (recvmsg ECONNREFUSED). Send errors
    // go to the send callback instead.
    socket.on('error', this.onError)
    // Comes once, after the handle closed.
    socket.on('close', this.onClose)
    if (this.signal !== undefined) {
      if (this.signal.aborted) queueMicrotask(this.onSignalAbort)
      else this.signal.addEventListener('abort', this.onSignalAbort, { once: true })
    }

    this.source = this.read()
    this.sink = (source) => this.write(source)
  }

  /**
   * Datagrams that arrived but will never be yielded: the queue was full, or nobody would read them
   * any more (the source was left early, or the socket closed with datagrams still queued). Datagrams
   * the kernel dropped before Node.js read them are not counted: the OS does not report them.
   */
  get dropped(): number {
    return this.droppedCount
  }

  /** Datagrams received and waiting to be pulled from `source`; never more than `queueSize`. */
  get queued(): number {
    return this.count
  }

  /** True once the socket has fully closed. */
  get isClosed(): boolean {
    return this.closed
  }

  /**
   * Closes the socket: stops receiving, drops whatever is still queued, lets the sends already handed
   * to the socket go out, then closes it. A pending or later read of a `source` already being read
   * ends (`done`); a `source` never read before rejects with `SocketClosedError`, as does every later
   * `sink` call and a sink's next datagram. Resolves once closed; never rejects; idempotent.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true
      this.stopAccepting()
      if (this.outstanding === 0) this.closeHandle()
      this.wake()
    }
    return this.closedLatch.wait()
  }

  /**
   * Closes the socket at once, dropping queued datagrams and sends not yet handed to the OS. A pending
   * or later read of `source` and the sink reject with `err`, or with an `AbortError` when no error
   * is given. Does nothing once closed.
   */
  abort(err?: Error): void {
    if (this.closed) return
    this.error ??= err ?? new AbortError(`${this.name} was aborted`)
    this.stopAccepting()
    this.closeHandle()
  }

  /** Closes, as {@link close}: `await using sock = await udp.bind(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** Turns one received datagram into what `source` yields. */
  protected abstract wrap(data: Buffer, rinfo: RemoteInfo): In

  /** Checks one item of the sink's source and hands it to the socket with {@link sendCallback}. */
  protected abstract send(item: Out): void

  /** Throws `DatagramTooLargeError` if `size` bytes cannot be one datagram of this socket's family. */
  protected checkSize(size: number, where: () => string): void {
    if (size > this.maxPayload) {
      const limit = `the UDP maximum of ${this.maxPayload} bytes`
      throw new DatagramTooLargeError(`Cannot send ${size}-byte datagram to ${where()}: exceeds ${limit}`)
    }
  }

  /** The callback for a send of `size` bytes; call {@link sent} once the send was handed over. */
  protected sendCallback(size: number): (err: Error | null) => void {
    return size <= SHARED_CALLBACK_MAX_SIZE ? this.onSent : (err) => this.onSent(err, size)
  }

  /** Counts a send handed to the socket (Node.js never runs its callback synchronously). */
  protected sent(): void {
    this.outstanding++
  }

  private async *read(): AsyncGenerator<In, void, unknown> {
    if (this.closing && this.error === undefined) {
      throw new SocketClosedError(`Cannot read: ${this.name} was closed before its source was read`)
    }
    try {
      while (true) {
        if (this.count > 0) {
          yield this.shift()
          continue
        }
        if (this.error !== undefined) throw this.error
        if (this.closing) return
        await this.reader.wait()
      }
    } finally {
      // Left early, ended or failed: nobody reads again.
      this.stopAccepting()
    }
  }

  private async write(source: Source<Out>): Promise<void> {
    if (this.sinkBusy) {
      throw new SinkInUseError(`sink() was called on ${this.name} while an earlier call was still sending`)
    }
    this.sinkBusy = true
    try {
      this.throwIfUnusable()
      for await (const item of source) {
        this.throwIfUnusable()
        this.send(item)
        // Wait for callbacks only when many are due, and then for half of them: no promise per datagram.
        if (this.outstanding >= MAX_OUTSTANDING_SENDS) await this.drain(MAX_OUTSTANDING_SENDS / 2)
      }
      await this.drain(0)
      if (this.error !== undefined) throw this.error
      if (this.sendError !== undefined) throw this.sendError
    } catch (err) {
      // Let this call's sends finish, so their callbacks cannot fail a later sink call.
      await this.drain(0)
      throw err
    } finally {
      this.sendError = undefined
      this.sinkBusy = false
    }
  }

  private throwIfUnusable(): void {
    if (this.error !== undefined) throw this.error
    if (this.sendError !== undefined) throw this.sendError
    if (this.closing) throw new SocketClosedError(`Cannot send: ${this.name} is closed`)
  }

  /** Resolves once at most `target` sends are outstanding, or the handle is closing. */
  private async drain(target: number): Promise<void> {
    while (this.outstanding > target && !this.handleClosing) {
      this.drainTarget = target
      await this.writer.wait()
    }
  }

  private shift(): In {
    const ring = this.ring
    const item = ring[this.head] as In
    ring[this.head] = undefined
    this.head = (this.head + 1) % ring.length
    this.count--
    return item
  }

  private push(item: In): void {
    let ring = this.ring
    if (this.count === ring.length) {
      // Grow lazily: a socket that is read promptly never allocates a queueSize-long array.
      const grown = new Array<In | undefined>(Math.min(ring.length * 2, this.queueSize)).fill(undefined)
      for (let i = 0; i < this.count; i++) grown[i] = ring[(this.head + i) % ring.length]
      this.ring = ring = grown
      this.head = 0
    }
    ring[(this.head + this.count) % ring.length] = item
    this.count++
  }

  private stopAccepting(): void {
    this.accepting = false
    this.droppedCount += this.count
    this.ring.fill(undefined)
    this.head = 0
    this.count = 0
  }

  private closeHandle(): void {
    if (this.handleClosing) return
    this.handleClosing = true
    this.accepting = false
    this.socket.close()
    this.wake()
  }

  private wake(): void {
    this.reader.wake()
    this.writer.wake()
  }

  /** Fails both halves with `err` and closes; what is queued is still yielded before `err`. */
  private fail(err: ItSocketError): void {
    this.error ??= err
    this.closeHandle()
  }

  private readonly onMessage = (data: Buffer, rinfo: RemoteInfo): void => {
    if (!this.accepting || this.count >= this.queueSize) {
      this.droppedCount++
      return
    }
    this.push(this.wrap(data, rinfo))
    this.reader.wake()
  }

  /** Node.js calls it with `(err)` or `(null, bytes)`; our own per-size callback passes the size. */
  private readonly onSent = (err: Error | null, size?: number): void => {
    this.outstanding--
    if (err != null && !this.handleClosing) {
      // A send to a host name that did not resolve carries the name (`hostname`), not an address.
      const failed = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }
      const where =
        failed.address !== undefined ? `${failed.address}:${failed.port}` : (failed.hostname ?? this.name)
      const datagram =
        size === undefined
          ? `a datagram of at most ${SHARED_CALLBACK_MAX_SIZE} bytes`
          : `${size}-byte datagram`
      const error = translateError(err, 'send to', where, 'udp', datagram)
      // A connected socket's pending ICMP error can surface on send too: it ends the socket.
      if (error instanceof ConnectionRefusedError) this.fail(error)
      else this.sendError ??= error
    }
    if (this.writer.waiting && this.outstanding <= this.drainTarget) this.writer.wake()
    if (this.outstanding === 0 && this.closing) this.closeHandle()
  }

  private readonly onError = (err: Error): void => {
    this.fail(translateError(err, 'receive on', this.name, 'udp'))
  }

  private readonly onSignalAbort = (): void => {
    this.abort(new AbortError(`${this.name} was aborted by its signal`, { cause: this.signal?.reason }))
  }

  private readonly onClose = (): void => {
    this.closedLatch.open()
    this.signal?.removeEventListener('abort', this.onSignalAbort)
    this.wake()
  }
}
