import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { AbortError, ServerBusyError, SocketClosedError } from '../errors.js'
import { SERVER_CLOSE_TIMEOUT } from '../limits.js'
import { observeListen, observeServerClose, observeServerError } from '../observe/diagnostics.js'
import { errorKey, type ServerStats } from '../observe/stats.js'
import { ProxyReader, type ProxySettings } from '../proxy/proxy-reader.js'
import type { ProxyHeader } from '../proxy/types.js'
import { formatAddress, remoteAddressOf, type SocketAddress } from '../socket/address.js'
import type { Listener } from '../socket/bind.js'
import { Connection, type ConnectionInit, connectionInternals } from '../socket/connection.js'
import { validateMs } from '../socket/validate.js'
import { TlsAcceptor } from '../tls/tls-acceptor.js'
import type { ServerTls } from '../tls/tls-options.js'

/** Reports an error of one connection (or of the listening socket, with no connection). */
export type ErrorReporter = (err: Error, conn?: Connection) => void

/** A connection handler for {@link Server.serve}. */
export type ConnectionHandler = (conn: Connection) => void | Promise<void>

/** Options of {@link Server.serve}. */
export interface ServeOptions {
  /**
   * Called with each handler's error and the connection it happened on (the connection is aborted).
   * @default the server's `onError` (a line on stderr unless `listen()` was given one)
   */
  onError?: ErrorReporter
}

/** Options of {@link Server.close}. */
export interface ServerCloseOptions {
  /**
   * Milliseconds open connections get to finish after the server stops accepting; then they are
   * aborted with `AbortError`; `0` aborts them at once. @default 5000
   */
  timeout?: number
}

/** @internal */
export interface ServerSettings {
  maxConnections: number
  maxPending: number
  onError: ErrorReporter
  signal: AbortSignal | undefined
  /** Given to every accepted connection. */
  connection: Omit<ConnectionInit, 'onClose'>
  /** Serve TLS: each accepted socket shakes hands before it becomes a connection. */
  tls: ServerTls | undefined
  /** Read a PROXY protocol header first on each accepted socket. */
  proxy: ProxySettings | undefined
}

/** The default reporter: one line on stderr naming the peer. */
export const reportToStderr: ErrorReporter = (err, conn) => {
  const where = conn === undefined ? '' : ` (${formatAddress(conn.remoteAddress)})`
  process.stderr.write(`it-socket: ${err.name}${where}: ${err.message}\n`)
}

/** Set by the class's static block (see {@link ServerInternals}). */
let internals!: ServerInternals

/**
 * A listening server: an async iterable of accepted connections, made by `listen()`.
 *
 * ```ts
 * await using server = await listen({ port: 7788 })
 * await server.serve((conn) => pipe(conn, conn))
 * ```
 *
 * At most `maxConnections` connections are handed out at once (open, not yet closed). Connections
 * accepted beyond that wait, unread, in a queue of at most `maxPending`; past that bound a new
 * connection is closed at once and reported as `ServerBusyError`.
 */
export class Server<A extends SocketAddress = SocketAddress>
  implements AsyncIterable<Connection>, AsyncDisposable
{
  private listener: Listener | undefined
  private readonly settings: ServerSettings
  /** Accepted, not yet handed out; insertion-ordered, O(1) removal when one closes while waiting. */
  private readonly pendingConnections = new Set<Connection>()
  /** Handed out and not yet closed. */
  private readonly activeConnections = new Set<Connection>()
  private readonly waiters: Array<() => void> = []
  private closing = false
  private closePromise: Promise<void> | undefined
  private onDrained: (() => void) | undefined
  /** Runs the TLS handshakes, on a TLS server. */
  private readonly acceptor: TlsAcceptor | undefined
  /** Reads the PROXY headers, with `proxyProtocol`. */
  private readonly proxyReader: ProxyReader | undefined
  /** The PROXY header each socket began with, until its connection is made (after TLS, on TLS). */
  private readonly proxyHeaders = new WeakMap<Socket, ProxyHeader>()
  /** The counters of {@link stats}. */
  private readonly counts = new ServerCounts()

  /** @internal Use `listen()`. */
  constructor(settings: ServerSettings) {
    this.settings = settings
    this.acceptor =
      settings.tls === undefined
        ? undefined
        : new TlsAcceptor(settings.tls, {
            onSecure: (socket: TLSSocket, accepted: Socket) =>
              this.admit(socket, this.proxyHeaders.get(accepted)),
            // A client that left without a byte (a health check) is not worth a report.
            onFailure: (err: Error, silent: boolean) => {
              if (silent) return
              this.counts.handshakeFailures++
              this.report(err)
            },
          })
    this.proxyReader =
      settings.proxy === undefined
        ? undefined
        : new ProxyReader(settings.proxy, {
            onHeader: (socket: Socket, header: ProxyHeader) => this.afterHeader(socket, header),
            onFailure: (err: Error) => {
              this.counts.handshakeFailures++
              this.report(err)
            },
            peerOf: (socket: Socket) => this.peerOf(socket),
          })
  }

  /** Called by `listen()` once bound (see {@link serverInternals}). */
  private attach(listener: Listener): void {
    this.listener = listener
    this.counts.startedAt = Date.now()
    const signal = this.settings.signal
    signal?.addEventListener('abort', this.onSignalAbort, { once: true })
    observeListen(this)
  }

  /** What was bound: `{ address, port, family }` (the real port when 0 was asked) or `{ path }`. */
  get address(): A {
    if (this.listener === undefined) throw new SocketClosedError('Server is not listening yet')
    // listen()'s overloads chose A from its options: a path binds a Unix socket, else TCP.
    return this.listener.address as A
  }

  /** Connections handed out and not yet closed. */
  get connections(): number {
    return this.activeConnections.size
  }

  /** Connections accepted and waiting to be handed out, TLS handshakes in progress included. */
  get pending(): number {
    return this.pendingConnections.size + (this.acceptor?.size ?? 0) + (this.proxyReader?.size ?? 0)
  }

  /**
   * The server's counters, as a new plain object: connections accepted, active, waiting, refused as
   * busy, failed handshakes, bytes both ways, failures by error code (docs/OBSERVABILITY.md). Always
   * kept; a snapshot costs a pass over the open connections.
   */
  get stats(): ServerStats {
    const c = this.counts
    let bytesRead = c.bytesRead
    let bytesWritten = c.bytesWritten
    for (const set of [this.pendingConnections, this.activeConnections]) {
      for (const conn of set) {
        const s = conn.stats
        bytesRead += s.bytesRead
        bytesWritten += s.bytesWritten
      }
    }
    return {
      startedAt: c.startedAt,
      accepted: c.accepted,
      active: this.activeConnections.size,
      pending: this.pending,
      peakActive: c.peakActive,
      closed: c.closed,
      refusedBusy: c.refusedBusy,
      handshakeFailures: c.handshakeFailures,
      bytesRead,
      bytesWritten,
      errors: Object.fromEntries(c.errors),
    }
  }

  /**
   * Yields accepted connections, each once, never more than `maxConnections` open at a time. An
   * error on one connection never ends the loop; it ends when the server closes. Leaving the loop
   * does not close the server.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Connection, void, undefined> {
    while (!this.closing) {
      if (this.activeConnections.size < this.settings.maxConnections) {
        const conn = this.takePending()
        if (conn !== undefined) {
          this.activeConnections.add(conn)
          if (this.activeConnections.size > this.counts.peakActive) {
            this.counts.peakActive = this.activeConnections.size
          }
          yield conn
          continue
        }
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
      })
    }
  }

  /**
   * Runs `handler(conn)` for each connection, concurrently up to `maxConnections`, and closes the
   * connection gracefully when the handler settles. Return (or await) the pipe:
   * `(conn) => pipe(conn, conn)`. A handler that starts a pipe without returning it still works (the
   * connection's sink is still writing when the handler returns, so it closes once the sink is done
   * rather than cutting it), but the pipe's errors then reach nobody. A handler that throws (or
   * rejects) aborts its own connection only, is reported to `onError`, and never stops the server.
   * Resolves once the server has closed and every handler's connection has closed.
   */
  async serve(handler: ConnectionHandler, options: ServeOptions = {}): Promise<void> {
    if (typeof handler !== 'function') throw new TypeError('serve(): handler must be a function')
    const handlers = new Handlers(handler, options.onError ?? this.settings.onError)
    for await (const conn of this) handlers.run(conn)
    await handlers.settled()
  }

  /**
   * Stops accepting, closes connections still waiting in the queue, lets open connections finish for
   * up to `timeout` ms, then aborts the rest. Resolves once every connection has closed. Idempotent.
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    const timeout = validateMs('Server.close()', 'timeout', options.timeout) ?? SERVER_CLOSE_TIMEOUT
    this.closePromise ??= this.shutdown(timeout)
    return this.closePromise
  }

  /** Closes as {@link close} does: `await using server = await listen(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** Called by the listener with each accepted socket. */
  private readonly onConnection = (socket: Socket): void => {
    this.counts.accepted++
    if (this.closing) {
      socket.destroy()
      return
    }
    const pending = this.pending
    if (pending >= this.settings.maxPending) {
      const peer = this.peerOf(socket)
      socket.destroy()
      this.counts.refusedBusy++
      this.report(
        new ServerBusyError(
          `Server at ${this.describe()} is busy: ${pending} connections already wait for a slot (maxPending ${this.settings.maxPending}); closed connection from ${peer}`,
        ),
      )
      return
    }
    // A plain connection needs no name now: its own remoteAddress is made when first asked for.
    if (this.proxyReader !== undefined) this.proxyReader.accept(socket)
    else if (this.acceptor !== undefined) this.acceptor.accept(socket, this.peerOf(socket))
    else this.admit(socket)
  }

  /** An accepted socket's peer, as messages name it. */
  private peerOf(socket: Socket): string {
    return formatAddress(remoteAddressOf(socket, this.settings.connection.path))
  }

  /** A socket's PROXY header arrived: on to the TLS handshake, or straight to the queue. */
  private afterHeader(socket: Socket, header: ProxyHeader): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    if (this.acceptor === undefined) {
      this.admit(socket, header)
      return
    }
    this.proxyHeaders.set(socket, header)
    this.acceptor.accept(socket, formatAddress(header.source ?? remoteAddressOf(socket)))
  }

  /** Makes a connection of an accepted socket (after its handshake, on TLS) and queues it to hand out. */
  private admit(socket: Socket, proxy?: ProxyHeader): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    this.pendingConnections.add(
      new Connection(socket, {
        ...this.settings.connection,
        onClose: this.onConnectionClose,
        server: this,
        ...(proxy === undefined ? {} : { proxy }),
      }),
    )
    this.wakeOne()
  }

  /** Called by every connection this server accepted, once it has closed. */
  private readonly onConnectionClose = (conn: Connection): void => {
    const wasPending = this.pendingConnections.delete(conn)
    const wasActive = !wasPending && this.activeConnections.delete(conn)
    // A TLS connection startTls() made over one of ours is in neither set: its bytes and error count.
    this.counts.closedConnection(conn, wasPending || wasActive)
    if (wasActive) {
      if (this.activeConnections.size === 0) this.onDrained?.()
      this.wakeOne()
    }
  }

  /** Reports an error of the listening socket or of one connection. */
  private readonly report = (err: Error, conn?: Connection): void => {
    if (conn === undefined) {
      this.counts.error(err)
      observeServerError(this, err)
    }
    try {
      this.settings.onError(err, conn)
    } catch {
      // A reporter that throws must not take the server down with it.
    }
  }

  private takePending(): Connection | undefined {
    for (const conn of this.pendingConnections) {
      this.pendingConnections.delete(conn)
      if (!conn.isClosed) return conn
    }
    return undefined
  }

  private wakeOne(): void {
    this.waiters.shift()?.()
  }

  private describe(): string {
    return this.listener === undefined ? 'unbound' : formatAddress(this.listener.address)
  }

  /** Resolves true once no handed-out connection is open, or false after `timeout` ms. */
  private drained(timeout: number): Promise<boolean> {
    if (this.activeConnections.size === 0) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const timer = Number.isFinite(timeout) ? setTimeout(() => resolve(false), timeout) : undefined
      this.onDrained = () => {
        if (timer !== undefined) clearTimeout(timer)
        this.onDrained = undefined
        resolve(true)
      }
    })
  }

  private readonly onSignalAbort = (): void => {
    void this.close()
  }

  static {
    internals = {
      attach: (server, listener) => server.attach(listener),
      hooks: (server) => ({
        onConnection: server.onConnection,
        report: server.report,
      }),
    }
  }

  private async shutdown(timeout: number): Promise<void> {
    this.closing = true
    this.settings.signal?.removeEventListener('abort', this.onSignalAbort)
    const stopped = this.listener?.close() ?? Promise.resolve()
    this.acceptor?.stop()
    this.proxyReader?.stop()
    for (const wake of this.waiters.splice(0)) wake()
    const where = this.describe()
    for (const conn of this.pendingConnections) {
      conn.abort(
        new AbortError(`Server at ${where} closed before serving ${formatAddress(conn.remoteAddress)}`),
      )
    }
    this.pendingConnections.clear()
    if (!(await this.drained(timeout))) {
      for (const conn of this.activeConnections) {
        conn.abort(
          new AbortError(
            `Server at ${where} closed: connection with ${formatAddress(conn.remoteAddress)} aborted after ${timeout} ms`,
          ),
        )
      }
      // Aborted sockets close on the next turns of the event loop.
      await this.drained(Number.POSITIVE_INFINITY)
    }
    await stopped
    if (this.listener !== undefined) observeServerClose(this)
  }
}

/** What {@link Server.stats} counts as it happens; bytes of connections still open are added up on demand. */
class ServerCounts {
  startedAt = 0
  accepted = 0
  peakActive = 0
  closed = 0
  refusedBusy = 0
  handshakeFailures = 0
  /** Bytes of the connections that have closed. */
  bytesRead = 0
  bytesWritten = 0
  readonly errors = new Map<string, number>()

  error(err: Error): void {
    const key = errorKey(err)
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1)
  }

  /** A connection of this server has closed (a TLS connection `startTls()` made over one, too). */
  closedConnection(conn: Connection, ours: boolean): void {
    const { bytesRead, bytesWritten } = conn.stats
    this.bytesRead += bytesRead
    this.bytesWritten += bytesWritten
    if (ours) this.closed++
    const err = connectionInternals().error(conn)
    if (err !== undefined) this.error(err)
  }
}

/**
 * @internal What `listen()` does with a server it made that users may not: kept off the public type
 * (private members), reached through the class's static block.
 */
export interface ServerInternals {
  /** Starts the server on a bound listener. */
  attach(server: Server, listener: Listener): void
  /** The callbacks the listener and its connections call. */
  hooks(server: Server): {
    onConnection: (socket: Socket) => void
    report: (err: Error, conn?: Connection) => void
  }
}

/** @internal See {@link ServerInternals}. */
export function serverInternals(): ServerInternals {
  return internals
}

/**
 * The handlers `serve()` runs: each settles by closing its connection (aborting it, and reporting the
 * error, when the handler failed). Kept lean because an idle served connection holds one: no async
 * function frame or promise per connection beyond the handler's own, one continuation, and a count.
 */
class Handlers {
  private running = 0
  private onSettled: (() => void) | undefined

  constructor(
    private readonly handler: ConnectionHandler,
    private readonly onError: ErrorReporter,
  ) {}

  /** Starts the handler on `conn`. */
  run(conn: Connection): void {
    this.running++
    let result: void | Promise<void>
    try {
      result = this.handler(conn)
    } catch (err) {
      this.finish(conn, err, true)
      return
    }
    if (isThenable(result)) {
      result.then(
        () => this.finish(conn, undefined, false),
        (err: unknown) => this.finish(conn, err, true),
      )
    } else this.finish(conn, undefined, false)
  }

  /** Resolves once no handler runs. */
  settled(): Promise<void> {
    if (this.running === 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      this.onSettled = resolve
    })
  }

  private finish(conn: Connection, err: unknown, failed: boolean): void {
    if (failed) {
      const error = err instanceof Error ? err : new Error(String(err))
      try {
        this.onError(error, conn)
      } catch {
        // ignore: see Server.report
      }
      conn.abort(error)
    }
    void connectionInternals()
      .release(conn)
      .then(() => {
        if (--this.running === 0) this.onSettled?.()
      })
  }
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof (value as PromiseLike<void> | undefined)?.then === 'function'
}
