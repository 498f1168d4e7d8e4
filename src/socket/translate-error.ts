import {
  AddressInUseError,
  ConnectionRefusedError,
  ConnectionResetError,
  HostNotFoundError,
  ItSocketError,
  SocketError,
  TimeoutError,
} from '../errors.js'

/** What was being done when a Node.js socket error happened, for the message. */
export type SocketOperation = 'connect to' | 'listen on' | 'connection with'

/**
 * Codes of a failed name lookup: `ENOTFOUND` (the name does not exist; Node.js reports getaddrinfo's
 * `EAI_NONAME` and `EAI_NODATA` as it), `EAI_AGAIN` (no answer from the resolver).
 */
const HOST_NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_NODATA',
])

/**
 * A failed name lookup as a {@link HostNotFoundError} naming `where` (`host:port`), or `undefined`
 * when `err` is something else. Shared by TCP and UDP.
 */
export function hostNotFound(err: unknown, operation: string, where: string): HostNotFoundError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === undefined || !HOST_NOT_FOUND_CODES.has(code)) return undefined
  return new HostNotFoundError(`Cannot ${operation} ${where}: host not found (${code})`, { cause: err })
}

/**
 * Wraps a Node.js socket error in the it-socket class for its `code`, keeping the original as
 * `cause` and naming the address. Errors that already are it-socket errors pass through unchanged.
 */
export function translateError(err: unknown, operation: SocketOperation, where: string): ItSocketError {
  if (err instanceof ItSocketError) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const options = { cause: err }
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(`Connection refused by ${where}: nobody is listening there`, options)
    case 'ENOENT':
      if (operation === 'connect to') {
        return new ConnectionRefusedError(`Cannot connect to ${where}: no such socket file`, options)
      }
      break
    case 'ECONNRESET':
    case 'EPIPE':
      return new ConnectionResetError(`Connection with ${where} was reset by the peer (${code})`, options)
    case 'ETIMEDOUT':
      return new TimeoutError(`Timed out on ${operation} ${where} (${code})`, options)
    case 'EADDRINUSE':
      return new AddressInUseError(`Cannot listen on ${where}: address already in use`, options)
  }
  const notFound = hostNotFound(err, operation, where)
  if (notFound !== undefined) return notFound
  const detail = err instanceof Error ? err.message : String(err)
  return new SocketError(`Socket error on ${operation} ${where}: ${detail}`, options)
}
