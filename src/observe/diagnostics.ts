/**
 * What it-socket tells the outside about its servers and connections: `node:diagnostics_channel`
 * channels, for APM and OpenTelemetry hooks, and `NODE_DEBUG=it-socket` lines on stderr, one per
 * lifecycle event (docs/OBSERVABILITY.md). Each event is built only when a channel has subscribers
 * or the debug log is on: otherwise it costs one check per connection event and nothing per message.
 *
 * @module
 */

import { channel } from 'node:diagnostics_channel'
import { debuglog } from 'node:util'
import type { Server } from '../server/server.js'
import { formatAddress, type SocketAddress } from '../socket/address.js'
import type { Connection } from '../socket/connection.js'
import { errorKey, type ServerStats } from './stats.js'

/** The names of it-socket's `diagnostics_channel` channels. */
export const CHANNELS = {
  /** A server is listening: {@link ServerListenMessage}. */
  serverListen: 'it-socket:server:listen',
  /** A server has closed: {@link ServerCloseMessage}. */
  serverClose: 'it-socket:server:close',
  /** A server failed with no connection to go with it: {@link ServerErrorMessage}. */
  serverError: 'it-socket:server:error',
  /** A connection was made: {@link ConnectionOpenMessage}. */
  connectionOpen: 'it-socket:connection:open',
  /** A connection's socket has closed: {@link ConnectionCloseMessage}. */
  connectionClose: 'it-socket:connection:close',
  /** A connection failed: {@link ConnectionErrorMessage}. */
  connectionError: 'it-socket:connection:error',
} as const

/** `it-socket:server:listen`: a server is bound and listening. */
export interface ServerListenMessage {
  /** The server now listening. */
  readonly server: Server
  /** What was bound (`server.address`). */
  readonly address: SocketAddress
}

/** `it-socket:server:close`: a server has closed, every connection with it. */
export interface ServerCloseMessage {
  /** The server that closed. */
  readonly server: Server
  /** What was bound. */
  readonly address: SocketAddress
  /** Its counters at the end. */
  readonly stats: ServerStats
}

/**
 * `it-socket:server:error`: a failure with no connection to go with it: a socket refused as busy,
 * a failed TLS handshake or PROXY header, an error of the listening socket.
 */
export interface ServerErrorMessage {
  /** The server that failed. */
  readonly server: Server
  /** What failed: `ServerBusyError`, `TlsError`, `ProxyProtocolError`, `TimeoutError`, a listen error. */
  readonly error: Error
}

/** `it-socket:connection:open`: a connection was made (accepted, or connected). */
export interface ConnectionOpenMessage {
  /** The connection made. */
  readonly connection: Connection
  /** The server that accepted it; `undefined` for `connect()` and `startTls()` on a client. */
  readonly server: Server | undefined
}

/** `it-socket:connection:close`: a connection's socket has fully closed. */
export interface ConnectionCloseMessage {
  /** The connection that closed. */
  readonly connection: Connection
  /** The server that accepted it; `undefined` for a client's. */
  readonly server: Server | undefined
  /** Milliseconds it was open. */
  readonly durationMs: number
  /** Bytes it received (`conn.stats.bytesRead`). */
  readonly bytesRead: number
  /** Bytes it sent (`conn.stats.bytesWritten`). */
  readonly bytesWritten: number
  /** The error it failed with; `undefined` after a clean close. */
  readonly error: Error | undefined
}

/** `it-socket:connection:error`: a connection failed (reset, timeout, abort, a handler's throw), once. */
export interface ConnectionErrorMessage {
  /** The connection that failed. */
  readonly connection: Connection
  /** The server that accepted it; `undefined` for a client's. */
  readonly server: Server | undefined
  /** Its first error, the one its source and sink fail with. */
  readonly error: Error
}

const serverListen = channel(CHANNELS.serverListen)
const serverClose = channel(CHANNELS.serverClose)
const serverError = channel(CHANNELS.serverError)
const connectionOpen = channel(CHANNELS.connectionOpen)
const connectionClose = channel(CHANNELS.connectionClose)
const connectionError = channel(CHANNELS.connectionError)

const debug = debuglog('it-socket')
/** `NODE_DEBUG` names it-socket (read once, as Node.js's own debug logs do). */
const debugging = debugEnabled()

/**
 * Whether `NODE_DEBUG` turns it-socket's debug log on: `debuglog().enabled` where the runtime has
 * it; else (Bun) `NODE_DEBUG` matched as Node.js matches it: comma-separated names, any case, `*`
 * a wildcard.
 */
function debugEnabled(): boolean {
  const enabled: unknown = debug.enabled
  if (typeof enabled === 'boolean') return enabled
  return (process.env.NODE_DEBUG ?? '').split(',').some((name) => {
    const pattern = name
      .trim()
      .replace(/[|\\{}()[\]^$+?.]/g, '\\$&')
      .replace(/\*/g, '.*')
    return pattern !== '' && new RegExp(`^${pattern}$`, 'i').test('it-socket')
  })
}

/** The end of a debug line that names an error. */
function errorText(err: Error): string {
  return `${errorKey(err)}: ${err.message}`
}

/** A connection's own name in debug lines: its peer, and the server that accepted it. */
function connectionText(conn: Connection, server: Server | undefined): string {
  const peer = formatAddress(conn.remoteAddress)
  return server === undefined ? `${peer} (client)` : `${peer} (server ${serverText(server)})`
}

function serverText(server: Server): string {
  try {
    return formatAddress(server.address)
  } catch {
    return 'unbound'
  }
}

/** A server is listening. */
export function observeListen(server: Server): void {
  if (serverListen.hasSubscribers) {
    serverListen.publish({ server, address: server.address } satisfies ServerListenMessage)
  }
  if (debugging) debug('listen %s', serverText(server))
}

/** A server has closed. */
export function observeServerClose(server: Server): void {
  if (serverClose.hasSubscribers) {
    serverClose.publish({ server, address: server.address, stats: server.stats } satisfies ServerCloseMessage)
  }
  if (debugging) debug('server close %s', serverText(server))
}

/** A server failed with no connection to go with the failure. */
export function observeServerError(server: Server, error: Error): void {
  if (serverError.hasSubscribers) serverError.publish({ server, error } satisfies ServerErrorMessage)
  if (debugging) debug('server error %s %s', serverText(server), errorText(error))
}

/** A connection was made. */
export function observeOpen(connection: Connection, server: Server | undefined): void {
  if (connectionOpen.hasSubscribers) {
    connectionOpen.publish({ connection, server } satisfies ConnectionOpenMessage)
  }
  if (debugging) debug('open %s', connectionText(connection, server))
}

/** A connection failed (its first error). */
export function observeError(connection: Connection, server: Server | undefined, error: Error): void {
  if (connectionError.hasSubscribers) {
    connectionError.publish({ connection, server, error } satisfies ConnectionErrorMessage)
  }
  if (debugging) debug('error %s %s', connectionText(connection, server), errorText(error))
}

/** A connection's socket has closed. */
export function observeClose(
  connection: Connection,
  server: Server | undefined,
  error: Error | undefined,
): void {
  if (!connectionClose.hasSubscribers && !debugging) return
  const { durationMs, bytesRead, bytesWritten } = connection.stats
  if (connectionClose.hasSubscribers) {
    connectionClose.publish({
      connection,
      server,
      durationMs,
      bytesRead,
      bytesWritten,
      error,
    } satisfies ConnectionCloseMessage)
  }
  if (debugging) {
    debug(
      'close %s after %d ms, %d B read, %d B written%s',
      connectionText(connection, server),
      durationMs,
      bytesRead,
      bytesWritten,
      error === undefined ? '' : `, ${errorText(error)}`,
    )
  }
}
