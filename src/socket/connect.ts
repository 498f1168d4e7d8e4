import { type NetConnectOpts, connect as netConnect, type Socket } from 'node:net'
import { AbortError, TimeoutError } from '../errors.js'
import { SOCKET_HIGH_WATER_MARK } from '../limits.js'
import { formatHostPort } from './address.js'
import { Connection } from './connection.js'
import { translateError } from './translate-error.js'
import { validateMs, validatePath, validatePort } from './validate.js'

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
  /** Enable TCP keep-alive probes; a number sets the initial delay in milliseconds. @default false */
  keepAlive?: boolean | number
  path?: undefined
}

/** Options of {@link connect} for a Unix domain socket. */
export interface UnixConnectOptions {
  /** Path of the Unix domain socket file. */
  path: string
  host?: undefined
  port?: undefined
}

/** Options common to every {@link connect}. */
export interface CommonConnectOptions {
  /**
   * Milliseconds to wait for the connection to be established before failing with `TimeoutError`.
   * @default no limit (the OS's own, about 2 minutes for TCP)
   */
  timeout?: number
  /**
   * Close the connection with a `TimeoutError` after this many milliseconds without traffic in
   * either direction. @default no limit
   */
  idleTimeout?: number
  /**
   * Aborts the attempt (rejecting with `AbortError`) and, once connected, the connection.
   */
  signal?: AbortSignal
}

/** Options of {@link connect}: `{ host, port }` for TCP or `{ path }` for a Unix socket. */
export type ConnectOptions = (TcpConnectOptions | UnixConnectOptions) & CommonConnectOptions

/**
 * Opens a TCP or Unix socket connection. Resolves once connected.
 *
 * @example
 * ```ts
 * await using conn = await connect({ port: 7788 })
 * await pipe([new TextEncoder().encode('hi')], conn)
 * ```
 * @throws {ConnectionRefusedError} nobody listens at the address (`ERR_CONNECTION_REFUSED`)
 * @throws {TimeoutError} `timeout` passed first (`ERR_TIMEOUT`)
 * @throws {AbortError} `signal` fired first (`ERR_ABORTED`)
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('connect(): options must be an object')
  const timeout = validateMs('connect()', 'timeout', options.timeout)
  const idleTimeout = validateMs('connect()', 'idleTimeout', options.idleTimeout)
  const signal = options.signal
  let socket: Socket
  let where: string
  if (options.path !== undefined) {
    if (options.port !== undefined || options.host !== undefined) {
      throw new TypeError('connect(): give either `path` (Unix socket) or `host`/`port` (TCP), not both')
    }
    const path = validatePath('connect()', options.path)
    where = `unix:${path}`
    signal?.throwIfAborted()
    socket = netConnect(withHighWaterMark({ path, allowHalfOpen: true }))
  } else {
    const tcp = options as TcpConnectOptions
    const port = validatePort('connect()', tcp.port, false)
    const host = tcp.host ?? 'localhost'
    if (typeof host !== 'string' || host === '')
      throw new TypeError(`connect(): host must be a non-empty string`)
    if (tcp.family !== undefined && tcp.family !== 4 && tcp.family !== 6) {
      throw new TypeError(`connect(): family must be 4 or 6, got ${String(tcp.family)}`)
    }
    where = formatHostPort(host, port)
    if (signal?.aborted) throw new AbortError(`Connect to ${where} was aborted`, { cause: signal.reason })
    const keepAlive = tcp.keepAlive ?? false
    socket = netConnect(
      withHighWaterMark({
        host,
        port,
        ...(tcp.family === undefined ? {} : { family: tcp.family }),
        allowHalfOpen: true,
        noDelay: tcp.noDelay ?? true,
        keepAlive: keepAlive !== false,
        ...(typeof keepAlive === 'number' ? { keepAliveInitialDelay: keepAlive } : {}),
      }),
    )
  }
  if (signal?.aborted) {
    socket.destroy()
    throw new AbortError(`Connect to ${where} was aborted`, { cause: signal.reason })
  }

  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    const done = (err?: Error): void => {
      if (timer !== undefined) clearTimeout(timer)
      socket.off('connect', onConnect)
      socket.off('error', onError)
      signal?.removeEventListener('abort', onAbort)
      if (err === undefined) {
        resolve()
      } else {
        socket.destroy()
        reject(err)
      }
    }
    const onConnect = (): void => done()
    // With several addresses to try (localhost → ::1, 127.0.0.1), Node.js reports an AggregateError
    // whose own code is that of the first failure; translateError keeps it as the cause.
    const onError = (err: Error): void => done(translateError(err, 'connect to', where))
    const onAbort = (): void =>
      done(new AbortError(`Connect to ${where} was aborted`, { cause: signal?.reason }))
    socket.once('connect', onConnect)
    socket.once('error', onError)
    signal?.addEventListener('abort', onAbort, { once: true })
    if (timeout !== undefined) {
      timer = setTimeout(
        () => done(new TimeoutError(`Connect to ${where} timed out after ${timeout} ms`)),
        timeout,
      )
    }
  })
  return new Connection(socket, {
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(idleTimeout === undefined ? {} : { idleTimeout }),
    ...(signal === undefined ? {} : { signal }),
  })
}

/**
 * Adds `highWaterMark` (both directions), which Node.js 20 honours for sockets (it reaches the
 * Duplex constructor) though @types/node's `NetConnectOpts` does not declare it.
 */
function withHighWaterMark(options: NetConnectOpts): NetConnectOpts {
  return Object.assign(options, { highWaterMark: SOCKET_HIGH_WATER_MARK })
}
