import { describeValue } from '../describe.js'
import { AbortError } from '../errors.js'
import { LISTEN_BACKLOG, MAX_PENDING_CONNECTIONS } from '../limits.js'
import { type ProxyProtocolOptions, validateProxyProtocol } from '../proxy/proxy-reader.js'
import { formatAddress, type NetAddress, type UnixAddress } from '../socket/address.js'
import { bind } from '../socket/bind.js'
import {
  validateBoolean,
  validateCount,
  validateHost,
  validateKeepAlive,
  validateMs,
  validateOptions,
  validatePath,
  validatePort,
  validateSignal,
} from '../socket/validate.js'
import { type TlsListenOptions, validateServerTls } from '../tls/tls-options.js'
import { type ErrorReporter, reportToStderr, Server, serverInternals } from './server.js'

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
   * server is replaced; one a live server answers on fails with `AddressInUseError`. At most 107
   * bytes of UTF-8 on Linux, 103 on macOS and the BSDs (a longer one throws `RangeError`, where the
   * OS would bind a truncated path); a Linux abstract name (starting with `'\0'`) may use 108.
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
   * silent peers. `0` means no limit, as leaving it out does. @default no limit
   */
  idleTimeout?: number
  /**
   * Let independent processes listen on the same TCP port, the kernel spreading new connections
   * among them (`SO_REUSEPORT`; Linux, FreeBSD 12+, DragonFly BSD). Needs Node.js 22.12 (or 23.1)
   * or later: on an older Node.js, which would ignore it and fail the second process with
   * `AddressInUseError`, `listen()` throws `TypeError` at once. Within one process tree,
   * `node:cluster` shares a port without it. @default false
   */
  reusePort?: boolean
  /** Disable Nagle's algorithm on accepted connections (see `connect()`). @default true */
  noDelay?: boolean
  /**
   * TCP keep-alive on accepted connections; a number (milliseconds, >= 0) also sets the delay before
   * the first probe (see `connect()`). @default false
   */
  keepAlive?: boolean | number
  /**
   * Closes the server when it fires (as `close()` does). If it fired before `listen()` resolved,
   * `listen()` rejects with `AbortError` and nothing stays bound.
   */
  signal?: AbortSignal
  /**
   * Reports errors of connections served by `serve()` (and of the listening socket, e.g. too many
   * open files), with the connection when there is one; failed TLS handshakes (`TlsError`,
   * `TimeoutError`) come without one.
   * @default a line on stderr naming the peer
   */
  onError?: ErrorReporter
  /**
   * Serve TLS: the certificate and key, and optionally client certificates (`requestCert`, `ca`),
   * ALPN, certificates by server name (`sni`) and `handshakeTimeout` (see {@link TlsListenOptions}).
   * A connection is handed out only once its handshake succeeded; one still in its handshake counts
   * against `maxPending`; a failed or timed-out handshake is reported to `onError` and never reaches
   * the handler. TCP only (over a Unix socket, `startTls()` each connection). @default plain TCP
   */
  tls?: TlsListenOptions
  /**
   * Expect a PROXY protocol header (v1 or v2) from a trusted load balancer (HAProxy `send-proxy`,
   * nginx `proxy_protocol on`, AWS NLB) on every connection: `true` trusts loopback only. The header
   * is required and read before the connection is handed out; `conn.remoteAddress` is then the client
   * it names (`conn.socketRemoteAddress` the proxy), and `conn.proxy` the header. A connection from
   * an untrusted address is closed unread; a bad, missing or late header closes its connection and
   * is reported as `ProxyProtocolError`. One waiting for its header counts against `maxPending`.
   * TCP only. See docs/DEPLOY.md. @default off
   */
  proxyProtocol?: boolean | ProxyProtocolOptions
}

/**
 * Binds and listens; resolves once listening. The server is an async iterable of connections, and
 * `serve(handler)` runs a handler per connection. Every option is checked before anything is bound:
 * a bad one throws `TypeError`/`RangeError` and leaves no port or socket file behind.
 *
 * @example
 * ```ts
 * await using server = await listen({ host: '127.0.0.1', port: 7788 })
 * await server.serve((conn) => pipe(conn, conn)) // echo
 * ```
 * @throws {AddressInUseError} another socket is bound there (`ERR_ADDRESS_IN_USE`)
 * @throws {HostNotFoundError} `host` is a name that did not resolve (`ERR_HOST_NOT_FOUND`)
 * @throws {AbortError} `signal` fired before listening started or while binding (`ERR_ABORTED`)
 */
export function listen(options: ListenOptions & { path: string }): Promise<Server<UnixAddress>>
export function listen(options?: ListenOptions & { path?: undefined }): Promise<Server<NetAddress>>
export function listen(options?: ListenOptions): Promise<Server>
export async function listen(options: ListenOptions = {}): Promise<Server> {
  const fn = 'listen()'
  validateOptions(fn, options)
  const path = options.path === undefined ? undefined : validatePath(fn, options.path)
  if (path !== undefined && (options.port !== undefined || options.host !== undefined)) {
    throw new TypeError(`${fn}: give either \`path\` (Unix socket) or \`host\`/\`port\` (TCP), not both`)
  }
  const port = options.port === undefined ? undefined : validatePort(fn, options.port, true)
  const host = options.host === undefined ? undefined : validateHost(fn, options.host)
  const backlog = validateCount(fn, 'backlog', options.backlog) ?? LISTEN_BACKLOG
  const maxConnections =
    validateCount(fn, 'maxConnections', options.maxConnections) ?? Number.POSITIVE_INFINITY
  const maxPending = validateCount(fn, 'maxPending', options.maxPending) ?? MAX_PENDING_CONNECTIONS
  const idleTimeout = validateMs(fn, 'idleTimeout', options.idleTimeout)
  const reusePort = validateBoolean(fn, 'reusePort', options.reusePort) ?? false
  if (reusePort) {
    if (path !== undefined) throw new TypeError(`${fn}: reusePort is for TCP ports, not Unix sockets`)
    if (!nodeHasReusePort()) {
      throw new TypeError(
        `${fn}: reusePort needs Node.js 22.12 or later (or 23.1 or later); this is Node.js ${process.versions.node}, which would ignore it`,
      )
    }
  }
  const noDelay = validateBoolean(fn, 'noDelay', options.noDelay) ?? true
  const keepAlive = validateKeepAlive(fn, options.keepAlive) ?? false
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new TypeError(`${fn}: onError must be a function, got ${describeValue(options.onError)}`)
  }
  const signal = validateSignal(fn, options.signal)
  const proxy = validateProxyProtocol(fn, options.proxyProtocol)
  if (proxy !== undefined && path !== undefined) {
    throw new TypeError(`${fn}: proxyProtocol needs a TCP port, not a Unix socket`)
  }
  const tls = options.tls === undefined ? undefined : await validateServerTls(fn, options.tls)
  if (tls !== undefined && path !== undefined) {
    throw new TypeError(
      `${fn}: tls needs a TCP port: over a Unix socket, upgrade each connection with startTls(conn, { isServer: true, … })`,
    )
  }
  if (signal?.aborted) throw new AbortError(`${fn} was aborted before it started`, { cause: signal.reason })

  const server = new Server({
    maxConnections,
    maxPending,
    onError: options.onError ?? reportToStderr,
    signal,
    connection: {
      ...(idleTimeout === undefined ? {} : { idleTimeout }),
      ...(path === undefined ? {} : { path }),
    },
    tls,
    proxy,
  })
  const { onConnection, report } = serverInternals().hooks(server)
  const listener = await bind({
    ...(path === undefined ? { host, port } : { path }),
    backlog,
    ...(reusePort ? { reusePort } : {}),
    noDelay,
    keepAlive,
    onConnection,
    onError: report,
  })
  // Bound: from here on, every way out that does not return the server closes the listener.
  try {
    serverInternals().attach(server, listener)
  } catch (err) {
    await listener.close()
    throw err
  }
  if (signal?.aborted) {
    await server.close({ timeout: 0 })
    throw new AbortError(`${fn} on ${formatAddress(listener.address)} was aborted while binding`, {
      cause: signal.reason,
    })
  }
  return server
}

/** Node.js passes `reusePort` to the OS from 22.12 on the 22 line, and from 23.1. */
function nodeHasReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12)
}
