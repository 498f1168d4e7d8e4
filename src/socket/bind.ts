import { lstat, unlink } from 'node:fs/promises'
import { createServer, type Server as NetServer, connect as netConnect, type Socket } from 'node:net'
import { SOCKET_HIGH_WATER_MARK } from '../limits.js'
import { formatAddress, formatHostPort, fromNodeAddress, type SocketAddress } from './address.js'
import { errorCode, translateError } from './translate-error.js'
import { waitFor } from './wait-for.js'

/** @internal What the server needs from a listening socket. */
export interface BindOptions {
  host?: string
  port?: number
  path?: string
  backlog?: number
  noDelay: boolean
  keepAlive: boolean | number
  ipv6Only?: boolean
  /** Let other sockets (other processes) bind the same port: the kernel spreads connections (SO_REUSEPORT). */
  reusePort?: boolean
  /** Called with each accepted socket, paused: it reads nothing until its source is pulled. */
  onConnection: (socket: Socket) => void
  /** Called with errors of the listening socket after it is bound (e.g. EMFILE on accept). */
  onError: (err: Error) => void
}

/** @internal A bound, listening socket. */
export interface Listener {
  readonly address: SocketAddress
  /** Stops accepting; resolves once every connection it accepted has closed too. */
  close(): Promise<void>
}

/**
 * @internal Binds and listens. A Unix socket path whose file is a stale socket (nobody accepts on
 * it) is removed and bound again; a path where a server answers fails with AddressInUseError.
 */
export async function bind(options: BindOptions): Promise<Listener> {
  const where =
    options.path === undefined
      ? formatHostPort(options.host ?? '::', options.port ?? 0)
      : `unix:${options.path}`
  const server = createServer({
    allowHalfOpen: true,
    // Accepted sockets do not read until their source is pulled: a connection waiting for a
    // maxConnections slot costs a descriptor, not buffered bytes.
    pauseOnConnect: true,
    highWaterMark: SOCKET_HIGH_WATER_MARK,
    noDelay: options.noDelay,
    keepAlive: options.keepAlive !== false,
    ...(typeof options.keepAlive === 'number' ? { keepAliveInitialDelay: options.keepAlive } : {}),
  })
  // Listened to before listening: in a node:cluster worker (round-robin), the primary may hand over
  // a connection in the same turn as its answer to the listen, before 'listening' is seen here, and
  // a connection nobody listened for would hang.
  server.on('connection', options.onConnection)
  // A failed listen() leaves the server unbound (Node.js closes the handle it made), so a failure
  // here has nothing to close.
  try {
    await listenOnce(server, options)
  } catch (err) {
    if (options.path === undefined || errorCode(err) !== 'EADDRINUSE') {
      throw translateError(err, 'listen on', where)
    }
    try {
      if (!(await isStaleSocket(options.path))) throw err
      await unlink(options.path)
      await listenOnce(server, options)
    } catch (err2) {
      throw translateError(err2, 'listen on', where)
    }
  }
  const address = fromNodeAddress(server.address(), options.path)
  // After listening, 'error' means accept() failed (EMFILE, ENFILE…); libuv keeps the listening
  // socket and retries, so the server carries on: report, never crash.
  server.on('error', (err: Error) =>
    options.onError(translateError(err, 'listen on', formatAddress(address))),
  )
  let closing: Promise<void> | undefined
  return {
    address,
    close() {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()))
      return closing
    },
  }
}

/** Listens and waits for 'listening'; rejects with the untranslated error, whose code bind() reads. */
function listenOnce(server: NetServer, options: BindOptions): Promise<void> {
  server.listen({
    ...(options.path === undefined
      ? {
          host: options.host,
          port: options.port ?? 0,
          ipv6Only: options.ipv6Only ?? false,
          ...(options.reusePort === true ? { reusePort: true } : {}),
        }
      : { path: options.path }),
    ...(options.backlog === undefined ? {} : { backlog: options.backlog }),
  })
  return waitFor(server, { event: 'listening' })
}

/** A socket file that refuses connections was left by a server that died: safe to replace. */
async function isStaleSocket(path: string): Promise<boolean> {
  try {
    if (!(await lstat(path)).isSocket()) return false
  } catch {
    return false
  }
  const probe = netConnect({ path })
  try {
    await waitFor(probe, { event: 'connect' })
    return false
  } catch (err) {
    return errorCode(err) === 'ECONNREFUSED'
  } finally {
    probe.destroy()
  }
}
