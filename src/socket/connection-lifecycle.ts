/**
 * A connection's lifecycle and close contract (docs/CLOSE.md): the socket's events, `close()`,
 * `abort()`, the idle timeout, the signal, and the first error, which both halves then fail with.
 * The read side (`connection-reader.ts`) and the write side (`connection.ts`) build on it; each layer
 * is a class of the chain, so a connection stays one object, with no closures of its own.
 *
 * @module
 */
import type { Socket } from 'node:net'
import { AbortError, type ItSocketErrorOptions, SocketClosedError, TimeoutError } from '../errors.js'
import { CLOSE_TIMEOUT } from '../limits.js'
import type { ConnectionStats } from '../observe/stats.js'
import type { ProxyHeader } from '../proxy/types.js'
import type { Server } from '../server/server.js'
import { isTlsSocket } from '../tls/node-tls.js'
import { SocketTlsInfo, type TlsInfo } from '../tls/tls-info.js'
import { Latch } from '../wakeup.js'
import { formatAddress, localAddressOf, remoteAddressOf, type SocketAddress } from './address.js'
import { translateError } from './translate-error.js'
import { validateMs } from './validate.js'

/** Options of {@link ConnectionLifecycle.close}. */
export interface CloseOptions {
  /**
   * Milliseconds to wait for the peer to end its side after we ended ours; then the socket is
   * destroyed. `0` does not wait for the peer.
   * @default 5000
   */
  timeout?: number
}

/** @internal What the lifecycle takes from the connect and listen code. */
export interface LifecycleInit {
  /** The Unix socket path, when there is one (Node.js reports no address for Unix sockets). */
  path?: string
  /** Close the connection after this many milliseconds without traffic in either direction. */
  idleTimeout?: number
  /** Aborts the connection with an `AbortError` when it fires. */
  signal?: AbortSignal
  /** The PROXY protocol header the connection began with: its source is the remote address. */
  proxy?: ProxyHeader
  /** The server that accepted the connection, for its diagnostics events. */
  server?: Server
}

/** Where a socket's shared listeners find the connection it belongs to. */
const OWNER: unique symbol = Symbol('it-socket.connection')

/** A socket that belongs to a connection. */
interface OwnedSocket extends Socket {
  [OWNER]: ConnectionLifecycle
}

/**
 * @internal The lifecycle layer of a `Connection`: see the module comment. The hooks it declares are
 * what the read and write sides do at each event.
 */
export abstract class ConnectionLifecycle implements AsyncDisposable {
  /** The peer's address: `{ address, port, family }`, or `{ path }` for a Unix socket. */
  get remoteAddress(): SocketAddress {
    // Made on first use: Node.js keeps what the constructor fetched even after the socket is gone.
    this.remote ??= this.init.proxy?.source ?? this.socketRemoteAddress
    return this.remote
  }

  /**
   * The peer at the other end of the socket itself: behind a proxy that sent a PROXY header, the
   * proxy (while `remoteAddress` is the client the header named); else the same as `remoteAddress`.
   */
  get socketRemoteAddress(): SocketAddress {
    this.socketRemote ??= remoteAddressOf(this.socket, this.init.path)
    return this.socketRemote
  }

  /**
   * The PROXY protocol header this connection began with (`listen({ proxyProtocol })`): version,
   * command, source and destination, TLVs. `undefined` without the protocol.
   */
  get proxy(): ProxyHeader | undefined {
    return this.init.proxy
  }

  /** Our end's address: `{ address, port, family }`, or `{ path }` for a Unix socket. */
  readonly localAddress: SocketAddress

  /**
   * What TLS negotiated (version, cipher, ALPN protocol, the peer's certificate…), or `undefined` on
   * a plain connection.
   */
  get tls(): TlsInfo | undefined {
    return this.tlsInfo
  }

  protected readonly socket: Socket
  private remote: SocketAddress | undefined
  private socketRemote: SocketAddress | undefined
  private readonly tlsInfo: TlsInfo | undefined
  /** The listener on `signal`, when there is one. */
  private signalListener: (() => void) | undefined
  /** The first error; once set, both halves fail with it. */
  protected error: Error | undefined
  /** `close()` was called: our side is ending, the peer's FIN is awaited. */
  protected closing = false
  /** True once the socket has fully closed. */
  protected hasClosed = false
  private closeTimer: NodeJS.Timeout | undefined
  private closeDeadline = 0
  /** Opens once the socket has fully closed; made when someone first waits for that. */
  private closedLatch: Latch | undefined
  /** What the connection was made with: a connection `startTls()` makes over this socket inherits it. */
  protected readonly init: LifecycleInit
  /** Bytes of every 'data' event, counted by the shared listener. */
  private bytesIn = 0
  /**
   * When it opened and closed, in whole ms of `performance.now()`: small integers, kept in the object
   * itself (an epoch time would be a heap number of its own per connection), and a monotonic clock.
   */
  private readonly openedMs = Math.trunc(performance.now())
  private closedMs = -1
  /**
   * `startTls()` took the socket: its events are no longer ours (but 'close', for `closed`), and
   * `close()`/`abort()` act on `successor`, the TLS connection, once there is one.
   */
  protected upgraded = false
  private successor: ConnectionLifecycle | undefined

  constructor(socket: Socket, init: LifecycleInit) {
    this.socket = socket
    this.init = init
    // Fetched now, while the socket is open (see remoteAddress).
    void socket.remotePort
    this.localAddress = localAddressOf(socket, init.path)
    // Read now, while the handshake's results are there (a TLS connection exists once it is done).
    this.tlsInfo = isTlsSocket(socket) ? new SocketTlsInfo(socket) : undefined
    ;(socket as OwnedSocket)[OWNER] = this

    // Paused before 'data' is listened to, so nothing flows until the source is pulled; Node.js
    // still reads up to `readableHighWaterMark` into its own buffer, then stops reading
    // (https://nodejs.org/docs/latest-v20.x/api/stream.html#two-reading-modes).
    // The listeners are shared by every connection (each finds its own through the socket): no
    // closures per connection.
    socket.pause()
    socket.on('data', ConnectionLifecycle.listeners.data)
    // 'end' is the peer's FIN. The socket must be created with `allowHalfOpen: true`, or Node.js
    // would end our side too.
    socket.on('end', ConnectionLifecycle.listeners.end)
    socket.on('error', ConnectionLifecycle.listeners.error)
    // 'close' comes once, after the handle is closed, with or without an error before it.
    socket.on('close', ConnectionLifecycle.listeners.close)
    socket.on('drain', ConnectionLifecycle.listeners.drain)
    if (init.idleTimeout !== undefined && init.idleTimeout > 0) {
      // Node.js refreshes this one timer on every read and write: no per-chunk timer of ours.
      socket.setTimeout(init.idleTimeout, () => {
        this.abort(new TimeoutError(`Connection with ${this.name} idle for ${init.idleTimeout} ms`))
      })
    }
    if (init.signal !== undefined) {
      const listener = (): void => this.onSignalAbort()
      this.signalListener = listener
      if (init.signal.aborted) queueMicrotask(listener)
      else init.signal.addEventListener('abort', listener, { once: true })
    }
  }

  /**
   * This connection's counters, as a new plain object: bytes both ways (plaintext, on TLS), when it
   * opened and closed. Always kept; they cost an addition per read and per write, none per message.
   */
  get stats(): ConnectionStats {
    const origin = Math.round(performance.timeOrigin)
    const closedMs = this.closedMs
    return {
      bytesRead: this.bytesIn,
      bytesWritten: this.bytesOut,
      openedAt: origin + this.openedMs,
      closedAt: closedMs < 0 ? undefined : origin + closedMs,
      durationMs: (closedMs < 0 ? Math.trunc(performance.now()) : closedMs) - this.openedMs,
    }
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
    if (this.upgraded) {
      if (this.successor !== undefined) return this.successor.close(options)
      this.socket.destroy() // closed during the TLS handshake
      return this.closed
    }
    if (this.hasClosed || this.socket.destroyed) return Promise.resolve()
    if (!this.closing) {
      this.closing = true
      this.prepareClose()
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

  /** The peer's address as messages name it. */
  protected get name(): string {
    return formatAddress(this.remoteAddress)
  }

  /**
   * Destroys the socket at once. A pending or later read of `source` and write of `sink` reject with
   * `err`, or with an `AbortError` naming the peer when no error is given. Does nothing once closed.
   */
  abort(err?: Error): void {
    if (this.hasClosed) return
    if (this.upgraded) {
      if (this.successor !== undefined) this.successor.abort(err)
      else this.socket.destroy(err)
      return
    }
    this.setError(err ?? new AbortError(`Connection with ${this.name} was aborted`))
    this.dropReceived()
    this.socket.destroy()
    this.wake()
  }

  /** Closes gracefully, as {@link close}: `await using conn = await connect(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /**
   * The error of using the connection once it is closing or closed, naming the peer: one message for
   * every place that needs it.
   */
  protected closedError(options?: ItSocketErrorOptions): SocketClosedError {
    return new SocketClosedError(`Cannot write: connection with ${this.name} is closed`, options)
  }

  /** The first error becomes the connection's, and is told to {@link failed}; later ones are dropped. */
  private setError(err: Error): void {
    if (this.error !== undefined) return
    this.error = err
    this.failed(err)
  }

  /** Bytes handed to the socket to send so far (the write side counts them). */
  protected abstract get bytesOut(): number
  /** The connection has failed with `err`, its first error. */
  protected abstract failed(err: Error): void
  /** Wakes whoever waits on the socket (a read, a sink, a drain) after an event. */
  protected abstract wake(): void
  /** `close()` is ending our side: stop or drop reading, flush pending writes. */
  protected abstract prepareClose(): void
  /** `abort()`: drop what was received and not read. */
  protected abstract dropReceived(): void
  /** A socket error is about to become the connection's error: keep what was received first. */
  protected abstract beforeError(): void
  /** The socket has fully closed. */
  protected abstract afterClose(): void
  /** Bytes arrived. */
  protected abstract onData(chunk: Buffer): void
  /** The peer's FIN arrived. */
  protected abstract onEnd(): void
  /** Node's write buffer drained. */
  protected abstract onDrain(): void

  /**
   * Hands the socket over to `startTls()`: stops listening to its data, its end and its drain, and
   * stops the idle timer (the TLS connection has its own). 'close' stays ours, so that `closed`, and
   * a server's count of its connections, follow the socket to its end.
   */
  protected releaseSocket(): Socket {
    this.upgraded = true
    const socket = this.socket
    socket.off('data', ConnectionLifecycle.listeners.data)
    socket.off('end', ConnectionLifecycle.listeners.end)
    socket.off('drain', ConnectionLifecycle.listeners.drain)
    if (this.init.idleTimeout !== undefined && this.init.idleTimeout > 0) socket.setTimeout(0)
    return socket
  }

  /** The TLS connection `startTls()` made over this socket: `close()` and `abort()` go to it. */
  protected setSuccessor(successor: ConnectionLifecycle): void {
    this.successor = successor
  }

  private onError(err: Error): void {
    // The TLS socket that took this one over reports its errors on its own connection.
    if (this.upgraded) return
    if (this.error === undefined) {
      this.beforeError()
      this.setError(translateError(err, 'connection with', this.name))
    }
    this.wake()
  }

  private onSignalAbort(): void {
    this.abort(
      new AbortError(`Connection with ${this.name} was aborted by its signal`, {
        cause: this.init.signal?.reason,
      }),
    )
  }

  private onSocketClose(): void {
    this.closedMs = Math.trunc(performance.now())
    this.hasClosed = true
    this.closedLatch?.open()
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer)
    if (this.signalListener !== undefined) this.init.signal?.removeEventListener('abort', this.signalListener)
    this.wake()
    this.afterClose()
  }

  /** The socket's event listeners, shared by every connection; in each, `this` is the socket. */
  private static readonly listeners = {
    data(this: OwnedSocket, chunk: Buffer): void {
      const owner = this[OWNER]
      owner.bytesIn += chunk.byteLength
      owner.onData(chunk)
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
