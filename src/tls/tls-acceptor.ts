/**
 * The server side of TLS: runs the handshake of each accepted socket before it becomes a
 * connection. One `tls.Server` per it-socket server holds the loaded context and does what Node.js's
 * TLS server does (SNI, ALPN, client certificates, and its verification, which Node.js exposes only
 * there); it never listens: each accepted socket is handed to it as a `'connection'`, the documented
 * way to inject one. Its `'secureConnection'` and `'tlsClientError'` events say how each handshake
 * ended.
 *
 * @module
 */
import type { Socket } from 'node:net'
import type { TLSSocket, Server as TlsServer } from 'node:tls'
import { TimeoutError, TlsError } from '../errors.js'
import { MAX_TIMER_MS } from '../limits.js'
import { nodeTls } from './node-tls.js'
import { tlsError } from './tls-error.js'
import type { ServerTls } from './tls-options.js'

/** @internal What the acceptor tells the server about each handshake. */
export interface AcceptorEvents {
  /**
   * The handshake succeeded (and the client's certificate verified, when one was asked for);
   * `accepted` is the socket given to {@link TlsAcceptor.accept}.
   */
  onSecure(socket: TLSSocket, accepted: Socket): void
  /**
   * The handshake failed, timed out, or the client went away: the socket is closed already.
   * `silent` when the client left without sending a byte (a load balancer's TCP health check
   * does that): no handshake was ever started, so a server need not report it.
   */
  onFailure(err: Error, silent: boolean): void
}

/** A handshake in progress: the accepted socket and the peer as messages name it. */
interface Handshake {
  readonly socket: Socket
  readonly peer: string
}

/** @internal Runs the TLS handshakes of a server's accepted sockets; see the module comment. */
export class TlsAcceptor {
  private readonly server: TlsServer
  /** Handshakes in progress, by the peer's address and port (what both sockets report). */
  private readonly handshakes = new Map<string, Handshake>()
  /** Handshakes whose socket closed before their TLS socket reported why, oldest first. */
  private readonly unclaimed: Handshake[] = []
  private readonly handshakeTimeout: number
  private stopped = false
  private serial = 0

  constructor(
    settings: ServerTls,
    private readonly events: AcceptorEvents,
  ) {
    this.handshakeTimeout = settings.handshakeTimeout
    this.server = new (nodeTls().Server)({
      ...settings.options,
      // 0 would mean Node.js's default (120 s): no limit is the longest timer there is.
      handshakeTimeout: settings.handshakeTimeout === 0 ? MAX_TIMER_MS : settings.handshakeTimeout,
    })
    this.server.on('secureConnection', (socket: TLSSocket) => this.onSecure(socket))
    this.server.on('tlsClientError', (err: Error, socket: TLSSocket) => this.onClientError(err, socket))
  }

  /** Handshakes in progress: they count against `maxPending`. */
  get size(): number {
    return this.handshakes.size
  }

  /**
   * Starts the handshake of an accepted (paused) socket. `peer` names it in messages. The outcome
   * comes as `onSecure` or `onFailure`.
   */
  accept(socket: Socket, peer: string): void {
    const handshake: Handshake = { socket, peer }
    // A Unix socket has no peer address: it is told apart only while it is the one handshake in
    // progress (startTls() runs one per acceptor; listen() refuses TLS over Unix sockets).
    const key = keyOf(socket) ?? `unix#${++this.serial}`
    this.handshakes.set(key, handshake)
    socket.once('close', () => {
      if (this.handshakes.get(key) !== handshake) return
      this.handshakes.delete(key)
      this.unclaimed.push(handshake)
      // The TLS socket's own event comes in this same turn; if none claims it, report it then.
      setImmediate(() => this.reportUnclaimed(handshake))
    })
    // A client that goes away mid-handshake must end it: the TLS socket takes this setting from
    // the accepted one, and a half-open one would wait for the rest of the handshake until the
    // timeout. Set back once the handshake is done (see onSecure), for the close contract.
    socket.allowHalfOpen = false
    this.server.emit('connection', socket)
  }

  /** Stops: every handshake in progress is cut, and later outcomes close their sockets. */
  stop(): void {
    this.stopped = true
    const cut = [...this.handshakes.values()]
    this.handshakes.clear()
    for (const handshake of cut) handshake.socket.destroy()
  }

  private onSecure(socket: TLSSocket): void {
    const handshake = this.claim(socket)
    if (handshake === undefined || this.stopped) {
      socket.destroy()
      return
    }
    socket.allowHalfOpen = true
    // Handed out one turn later: a TLS 1.3 server that writes and ends at once, before Node.js has
    // sent its session tickets, would otherwise send FIN without close_notify (seen on the wire in
    // test/tls/close.test.ts; plain node:tls does the same).
    setImmediate(() => {
      if (this.stopped || socket.destroyed) socket.destroy()
      else this.events.onSecure(socket, handshake.socket)
    })
  }

  private onClientError(err: Error, socket: TLSSocket): void {
    // Claimed first: the peer's address is read while the socket is still open.
    const handshake = this.claim(socket) ?? this.unclaimed.shift()
    // Node.js reports a timed-out handshake and leaves the socket open: closing it is ours to do.
    socket.destroy()
    if (handshake === undefined || this.stopped) return
    const code = (err as NodeJS.ErrnoException).code
    this.events.onFailure(
      this.failure(err, socket, handshake.peer),
      code === 'ECONNRESET' && handshake.socket.bytesRead === 0,
    )
  }

  /** The error to report for a failed handshake with `peer`. */
  private failure(err: Error, socket: TLSSocket, peer: string): Error {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
      return new TimeoutError(
        `TLS handshake with ${peer} timed out after ${this.handshakeTimeout} ms (handshakeTimeout)`,
        { cause: err },
      )
    }
    // A client certificate that did not verify: Node.js closed the socket without an error of its own.
    const authorizationError: unknown = socket.authorizationError
    if (typeof authorizationError === 'string' && authorizationError !== '') {
      return new TlsError(
        `TLS handshake with ${peer} failed (${authorizationError}): its client certificate did not verify against tls.ca`,
        authorizationError,
        { cause: err },
      )
    }
    if (code === 'ECONNRESET') return clientGone(peer, err)
    return tlsError(err, peer, 'handshake')
  }

  /** The handshake `socket` is the TLS side of, taken off the books. */
  private claim(socket: TLSSocket): Handshake | undefined {
    const key = keyOf(socket)
    if (key === undefined) {
      // A TCP peer's address is gone once its socket closed: the oldest handshake whose socket
      // closed unreported is then this one, not whichever happens to be the one in progress.
      if (this.unclaimed.length > 0) return this.unclaimed.shift()
      // A Unix socket has no address at all: told apart only while it is the one in progress.
      if (this.handshakes.size !== 1) return undefined
      const [only, handshake] = this.handshakes.entries().next().value as [string, Handshake]
      this.handshakes.delete(only)
      return handshake
    }
    const handshake = this.handshakes.get(key)
    if (handshake === undefined) {
      const i = this.unclaimed.findIndex((h) => keyOf(h.socket) === key)
      return i === -1 ? undefined : this.unclaimed.splice(i, 1)[0]
    }
    this.handshakes.delete(key)
    return handshake
  }

  /** A handshake whose socket closed and whose TLS socket never said why. */
  private reportUnclaimed(handshake: Handshake): void {
    const i = this.unclaimed.indexOf(handshake)
    if (i === -1) return
    this.unclaimed.splice(i, 1)
    if (this.stopped) return
    this.events.onFailure(clientGone(handshake.peer), handshake.socket.bytesRead === 0)
  }
}

/** The error of a client that closed its connection in the middle of the handshake. */
function clientGone(peer: string, cause?: Error): TlsError {
  return new TlsError(
    `TLS handshake with ${peer} failed (ECONNRESET): the client closed the connection`,
    'ECONNRESET',
    cause === undefined ? undefined : { cause },
  )
}

/**
 * What tells the accepted socket and its TLS socket apart from other handshakes: the peer's address
 * and port (both report the same, from the one file descriptor they share). Read while open: Node.js
 * keeps it once read.
 */
function keyOf(socket: Socket): string | undefined {
  const port = socket.remotePort
  return port === undefined ? undefined : `${socket.remoteAddress}|${port}`
}
