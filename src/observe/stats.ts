/**
 * The counters a connection and a server keep, always on: a few additions per read, per write run
 * and per connection, and nothing per message. `conn.stats` and `server.stats` return them as plain
 * snapshot objects (docs/OBSERVABILITY.md lists every field).
 *
 * @module
 */

/** A snapshot of one connection's counters: `conn.stats`. */
export interface ConnectionStats {
  /** Bytes received from the peer (after TLS: the plaintext), as they arrived, read or not. */
  readonly bytesRead: number
  /** Bytes handed to the socket to send (after TLS: the plaintext), flushed to the OS or not. */
  readonly bytesWritten: number
  /** When the connection was made (after its TLS handshake and PROXY header), in ms since the epoch. */
  readonly openedAt: number
  /** When its socket fully closed, in ms since the epoch; `undefined` while open. */
  readonly closedAt: number | undefined
  /**
   * Milliseconds from `openedAt` to `closedAt`, or to now while open. Both times are whole ms of the
   * monotonic clock (`performance.timeOrigin + performance.now()`), so a change of the wall clock
   * does not bend durations.
   */
  readonly durationMs: number
}

/** A snapshot of a server's counters: `server.stats`. */
export interface ServerStats {
  /** When the server started listening, in ms since the epoch. */
  readonly startedAt: number
  /** Sockets the listener accepted, including those refused as busy or that failed their handshake. */
  readonly accepted: number
  /** Connections handed out and not yet closed (`server.connections`). */
  readonly active: number
  /** Connections waiting to be handed out, TLS handshakes and PROXY headers in progress included. */
  readonly pending: number
  /** The most connections handed out and open at once. */
  readonly peakActive: number
  /** Connections made (handshake and header done) that have since closed, handed out or not. */
  readonly closed: number
  /** Sockets closed at once because `maxPending` connections were already waiting (`ServerBusyError`). */
  readonly refusedBusy: number
  /** TLS handshakes and PROXY headers that failed (a load balancer's silent health check included). */
  readonly handshakeFailures: number
  /** Bytes received on every connection of this server, closed or open. */
  readonly bytesRead: number
  /** Bytes sent on every connection of this server, closed or open. */
  readonly bytesWritten: number
  /**
   * Failures by error code: each connection that closed with an error (a reset, a timeout, a
   * handler's throw), once, and each failure before a connection existed (busy, handshake, the
   * listening socket's own). An error without a string `code` counts under its `name`.
   */
  readonly errors: Readonly<Record<string, number>>
}

/** The key an error counts under in `ServerStats.errors`: its `code`, else its `name`. */
export function errorKey(err: Error): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && code !== '' ? code : err.name
}
