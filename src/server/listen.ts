import { AbortError } from '../errors.js'
import { LISTEN_BACKLOG, MAX_PENDING_CONNECTIONS } from '../limits.js'
import { bind } from '../socket/bind.js'
import { validateCount, validateMs, validatePath, validatePort } from '../socket/validate.js'
import { type ErrorReporter, reportToStderr, Server } from './server.js'

/** Options of {@link listen}. Give `port` (and optionally `host`) for TCP, or `path` for a Unix socket. */
export interface ListenOptions {
  /**
   * Address to bind. `'127.0.0.1'` or `'::1'` for loopback only.
   * @default all interfaces (`::`, and `0.0.0.0` through it), as Node.js does
   */
  host?: string
  /** Port to bind; `0` picks a free one (read it from `server.address`). @default 0 */
  port?: number
  /**
   * Path of a Unix domain socket to bind instead of a TCP port. A stale socket file left by a dead
   * server is replaced; one a live server answers on fails with `AddressInUseError`.
   */
  path?: string
  /**
   * Length of the kernel's queue of connections not yet accepted (capped by the OS, e.g. Linux's
   * `net.core.somaxconn`). @default 4096
   */
  backlog?: number
  /**
   * Connections handed out (by `for await` or `serve()`) and open at once. Past it, accepted
   * connections wait unread in a queue until one closes. @default Infinity
   */
  maxConnections?: number
  /**
   * Connections accepted and waiting to be handed out (for a `maxConnections` slot, or for the
   * `for await` loop to pull). Past it, a new connection is closed at once and reported as
   * `ServerBusyError`. Each waiting connection holds a descriptor and about 6 KiB. @default 4096
   */
  maxPending?: number
  /**
   * Milliseconds without traffic in either direction after which a connection is aborted with
   * `TimeoutError` (surfaced on its source). Counts from accept, so it also frees queue slots held by
   * silent peers. @default no limit
   */
  idleTimeout?: number
  /** Disable Nagle's algorithm on accepted connections (see `connect()`). @default true */
  noDelay?: boolean
  /** TCP keep-alive on accepted connections; a number sets the initial delay in ms. @default false */
  keepAlive?: boolean | number
  /** Closes the server when it fires (as `close()` does); rejects `listen()` if it fired first. */
  signal?: AbortSignal
  /**
   * Reports errors of connections served by `serve()` (and of the listening socket, e.g. too many
   * open files), with the connection when there is one.
   * @default a line on stderr naming the peer
   */
  onError?: ErrorReporter
}

/**
 * Binds and listens; resolves once listening. The server is an async iterable of connections, and
 * `serve(handler)` runs a handler per connection.
 *
 * @example
 * ```ts
 * await using server = await listen({ host: '127.0.0.1', port: 7788 })
 * await server.serve((conn) => pipe(conn, conn)) // echo
 * ```
 * @throws {AddressInUseError} another socket is bound there (`ERR_ADDRESS_IN_USE`)
 * @throws {AbortError} `signal` had fired (`ERR_ABORTED`)
 */
export async function listen(options: ListenOptions = {}): Promise<Server> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('listen(): options must be an object')
  const path = options.path === undefined ? undefined : validatePath('listen()', options.path)
  if (path !== undefined && (options.port !== undefined || options.host !== undefined)) {
    throw new TypeError('listen(): give either `path` (Unix socket) or `host`/`port` (TCP), not both')
  }
  const port = options.port === undefined ? undefined : validatePort('listen()', options.port, true)
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === '')) {
    throw new TypeError('listen(): host must be a non-empty string')
  }
  const backlog = validateCount('listen()', 'backlog', options.backlog) ?? LISTEN_BACKLOG
  const maxConnections =
    validateCount('listen()', 'maxConnections', options.maxConnections) ?? Number.POSITIVE_INFINITY
  const maxPending = validateCount('listen()', 'maxPending', options.maxPending) ?? MAX_PENDING_CONNECTIONS
  const idleTimeout = validateMs('listen()', 'idleTimeout', options.idleTimeout)
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError('listen(): onError must be a function')
  }
  const signal = options.signal
  if (signal?.aborted)
    throw new AbortError('listen() was aborted before it started', { cause: signal.reason })

  const server = new Server({
    maxConnections,
    maxPending,
    onError: options.onError ?? reportToStderr,
    signal,
  })
  const listener = await bind({
    ...(path === undefined ? { host: options.host, port } : { path }),
    backlog,
    noDelay: options.noDelay ?? true,
    keepAlive: options.keepAlive ?? false,
    connection: {
      onClose: server.onConnectionClose,
      ...(idleTimeout === undefined ? {} : { idleTimeout }),
    },
    onConnection: server.onConnection,
    onError: server.report,
  })
  server.attach(listener)
  if (signal?.aborted) await server.close()
  return server
}
