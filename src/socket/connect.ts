import { type NetConnectOpts, connect as netConnect, type Socket } from 'node:net'
import { describeValue } from '../describe.js'
import { ItSocketError, TimeoutError } from '../errors.js'
import { SOCKET_HIGH_WATER_MARK, TLS_HANDSHAKE_TIMEOUT } from '../limits.js'
import { encodeProxyHeader } from '../proxy/proxy-header.js'
import type { ProxyHeaderInit } from '../proxy/types.js'
import { nodeTls } from '../tls/node-tls.js'
import { tlsError } from '../tls/tls-error.js'
import { type TlsConnectOptions, validateClientTls } from '../tls/tls-options.js'
import { formatHostPort } from './address.js'
import { Connection } from './connection.js'
import { abortedError, translateError } from './translate-error.js'
import {
  validateBoolean,
  validateHost,
  validateKeepAlive,
  validateMs,
  validateOptions,
  validatePath,
  validatePort,
  validateSignal,
} from './validate.js'
import { waitFor } from './wait-for.js'

/** Options of {@link connect} for TCP. */
export interface TcpConnectOptions {
  /** Host name or IP address to connect to. @default 'localhost' */
  host?: string
  /** Port to connect to (1–65535). */
  port: number
  /** Restrict name resolution to IPv4 (`4`) or IPv6 (`6`). @default both, tried as RFC 8305 says */
  family?: 4 | 6
  /**
   * Disable Nagle's algorithm, so small writes leave at once instead of waiting up to 40 ms for an
   * acknowledgement (a request/response protocol otherwise sees ~40–90 ms round trips).
   * @default true
   */
  noDelay?: boolean
  /**
   * Enable TCP keep-alive probes; a number (milliseconds, >= 0) also sets the delay before the first
   * probe. Node.js counts it in whole seconds, and `0` keeps the OS's default delay.
   * @default false
   */
  keepAlive?: boolean | number
  /** Unix sockets only: see {@link UnixConnectOptions}. */
  path?: undefined
}

/** Options of {@link connect} for a Unix domain socket. */
export interface UnixConnectOptions {
  /**
   * Path of the Unix domain socket file: at most 107 bytes of UTF-8 on Linux, 103 on macOS and the
   * BSDs (a longer one throws `RangeError`, where the OS would cut it short); a Linux abstract name
   * (starting with `'\0'`) may use 108.
   */
  path: string
  /** TCP only. */
  host?: undefined
  /** TCP only. */
  port?: undefined
  /** TCP only. */
  family?: undefined
  /** TCP only (checked, then ignored: a Unix socket has no Nagle delay). */
  noDelay?: undefined
  /** TCP only (checked, then ignored). */
  keepAlive?: undefined
}

/** Options common to every {@link connect}. */
export interface CommonConnectOptions {
  /**
   * Milliseconds to wait for the connection to be established (and, with `tls`, its handshake done)
   * before failing with `TimeoutError`; `0` means no limit, as leaving it out does.
   * @default no limit (the OS's own, about 2 minutes for TCP); with `tls`, a handshake a server
   * never answers fails after `TLS_HANDSHAKE_TIMEOUT` (10 s)
   */
  timeout?: number
  /**
   * Close the connection with a `TimeoutError` after this many milliseconds without traffic in
   * either direction; `0` means no limit, as leaving it out does. @default no limit
   */
  idleTimeout?: number
  /**
   * Aborts the attempt (rejecting with `AbortError`) and, once connected, the connection.
   */
  signal?: AbortSignal
  /**
   * Speak TLS: `true` verifies the server against Node.js's root CAs and `host`; an object gives the
   * CAs, a client certificate, ALPN and more (see {@link TlsConnectOptions}). `connect()` then
   * resolves once the handshake is done and the server verified, and `conn.tls` says what was
   * negotiated. `timeout` covers the handshake too. @default plain TCP
   */
  tls?: boolean | TlsConnectOptions
  /**
   * A PROXY protocol header (v1 or v2) to send before anything else, naming the client this
   * connection is made for: what a proxy written with it-socket sends to a server behind it
   * (`listen({ proxyProtocol })`, HAProxy's `accept-proxy`). Checked before connecting. Not with
   * `tls` (a proxy relays its client's TLS bytes over a plain connection). @default none
   */
  proxyHeader?: ProxyHeaderInit
}

/** Options of {@link connect}: `{ host, port }` for TCP or `{ path }` for a Unix socket. */
export type ConnectOptions = (TcpConnectOptions | UnixConnectOptions) & CommonConnectOptions

/**
 * Opens a TCP or Unix socket connection. Resolves once connected. Every option is checked before
 * the socket is made: a bad one throws `TypeError`/`RangeError` and leaves nothing open.
 *
 * @example
 * ```ts
 * await using conn = await connect({ port: 7788 })
 * await pipe([new TextEncoder().encode('hi')], conn)
 * ```
 * @throws {ConnectionRefusedError} nobody listens at the address (`ERR_CONNECTION_REFUSED`)
 * @throws {HostNotFoundError} the host name did not resolve (`ERR_HOST_NOT_FOUND`)
 * @throws {TimeoutError} `timeout` passed first (`ERR_TIMEOUT`)
 * @throws {AbortError} `signal` fired first (`ERR_ABORTED`)
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  const fn = 'connect()'
  validateOptions(fn, options)
  const timeout = validateMs(fn, 'timeout', options.timeout)
  const idleTimeout = validateMs(fn, 'idleTimeout', options.idleTimeout)
  const signal = validateSignal(fn, options.signal)
  const { where, netOptions, noDelay, keepAlive } = targetOf(fn, options)
  const tls =
    options.tls === undefined || options.tls === false
      ? undefined
      : await validateClientTls(
          fn,
          options.tls,
          options.path === undefined ? (options.host ?? 'localhost') : undefined,
        )
  const proxyHeader = proxyHeaderOf(fn, options.proxyHeader, tls !== undefined)
  if (signal?.aborted) throw abortedError('connect to', where, signal.reason)

  // From here on the socket exists: every way out that does not hand it to a Connection destroys it.
  const socket: Socket =
    tls === undefined
      ? netConnect(withHighWaterMark(netOptions))
      : nodeTls().connect(withHighWaterMark({ ...netOptions, ...tls.options }))
  let connected = false
  let handshakeTimer: NodeJS.Timeout | undefined
  if (tls !== undefined) {
    socket.once('connect', () => {
      connected = true
      // Without a `timeout`, a server that never answers the ClientHello still fails the connect,
      // after the handshake limit servers apply too.
      if (timeout === undefined || timeout === 0) {
        handshakeTimer = setTimeout(() => {
          socket.destroy(
            new TimeoutError(
              `TLS handshake with ${where} timed out after ${TLS_HANDSHAKE_TIMEOUT} ms (the server never answered)`,
            ),
          )
        }, TLS_HANDSHAKE_TIMEOUT)
      }
      // tls.connect() ignores net's noDelay and keepAlive options: set them on the socket it made.
      if (options.path === undefined) {
        socket.setNoDelay(noDelay)
        if (keepAlive !== false) socket.setKeepAlive(true, keepAlive === true ? 0 : keepAlive)
      }
    })
  }
  try {
    await waitFor(socket, {
      // A TLS socket reports 'connect' before its handshake, 'secureConnect' once it is done and the
      // server's certificate verified.
      event: tls === undefined ? 'connect' : 'secureConnect',
      // With several addresses to try (localhost → ::1, 127.0.0.1), Node.js reports an AggregateError
      // whose own code is that of the first failure; translateError keeps it as the cause. Past the
      // TCP connect, any failure is the handshake's.
      onError: (err) =>
        connected && !(err instanceof ItSocketError)
          ? tlsError(err, where, 'handshake')
          : translateError(err, 'connect to', where),
      timeout,
      onTimeout: () => new TimeoutError(`Connect to ${where} timed out after ${timeout} ms`),
      signal,
      onAbort: (reason) => abortedError('connect to', where, reason),
    })
    // Before any byte the caller writes: the sink writes after this, in order.
    if (proxyHeader !== undefined) socket.write(proxyHeader)
    return new Connection(socket, {
      ...(options.path === undefined ? {} : { path: options.path }),
      ...(idleTimeout === undefined ? {} : { idleTimeout }),
      ...(signal === undefined ? {} : { signal }),
    })
  } catch (err) {
    socket.destroy()
    throw err
  } finally {
    if (handshakeTimer !== undefined) clearTimeout(handshakeTimer)
  }
}

/** The `proxyHeader` option, encoded (which checks it): `undefined` without one. */
function proxyHeaderOf(fn: string, header: unknown, tls: boolean): Uint8Array | undefined {
  if (header === undefined) return undefined
  if (tls) {
    throw new TypeError(
      `${fn}: proxyHeader and tls together are not supported: a proxy sends the header on a plain connection and relays its client's TLS bytes`,
    )
  }
  if (header === null || typeof header !== 'object') {
    throw new TypeError(`${fn}: proxyHeader must be an object, got ${describeValue(header)}`)
  }
  try {
    return encodeProxyHeader(header as ProxyHeaderInit)
  } catch (err) {
    if (err instanceof TypeError) throw new TypeError(`${fn}: proxyHeader: ${err.message}`, { cause: err })
    if (err instanceof RangeError) throw new RangeError(`${fn}: proxyHeader: ${err.message}`, { cause: err })
    throw err
  }
}

/** Checks the address options (and the TCP socket options) and turns them into Node.js's. */
function targetOf(
  fn: string,
  options: ConnectOptions,
): { where: string; netOptions: NetConnectOpts; noDelay: boolean; keepAlive: boolean | number } {
  // Checked whichever the transport: a Unix socket ignores them, but a wrong type is still a mistake.
  const noDelay = validateBoolean(fn, 'noDelay', options.noDelay) ?? true
  const keepAlive = validateKeepAlive(fn, options.keepAlive) ?? false
  if (options.family !== undefined && options.family !== 4 && options.family !== 6) {
    throw new TypeError(`${fn}: family must be 4 or 6, got ${describeValue(options.family)}`)
  }
  if (options.path !== undefined) {
    if (options.port !== undefined || options.host !== undefined) {
      throw new TypeError(`${fn}: give either \`path\` (Unix socket) or \`host\`/\`port\` (TCP), not both`)
    }
    const path = validatePath(fn, options.path)
    return { where: `unix:${path}`, netOptions: { path, allowHalfOpen: true }, noDelay, keepAlive }
  }
  const port = validatePort(fn, options.port, false)
  const host = validateHost(fn, options.host ?? 'localhost')
  return {
    noDelay,
    keepAlive,
    where: formatHostPort(host, port),
    netOptions: {
      host,
      port,
      ...(options.family === undefined ? {} : { family: options.family }),
      allowHalfOpen: true,
      noDelay,
      keepAlive: keepAlive !== false,
      ...(typeof keepAlive === 'number' ? { keepAliveInitialDelay: keepAlive } : {}),
    },
  }
}

/**
 * Adds `highWaterMark` (both directions), which Node.js 20 honours for sockets (it reaches the
 * Duplex constructor) though @types/node's `NetConnectOpts` does not declare it.
 */
function withHighWaterMark<T extends object>(options: T): T {
  return Object.assign(options, { highWaterMark: SOCKET_HIGH_WATER_MARK })
}
