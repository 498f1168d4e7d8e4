import {
  AbortError,
  AddressInUseError,
  ConnectionRefusedError,
  ConnectionResetError,
  DatagramTooLargeError,
  HostNotFoundError,
  ItSocketError,
  SocketError,
  TimeoutError,
} from '../errors.js'
import { isTlsFailure, tlsError } from '../tls/tls-error.js'

/**
 * What was being done when a Node.js socket error happened, for the message: `connect to`,
 * `listen on` and `connection with` on TCP and Unix sockets; `bind to`, `connect to`, `send to` and
 * `receive on` on UDP.
 */
export type SocketOperation =
  | 'connect to'
  | 'listen on'
  | 'connection with'
  | 'bind to'
  | 'send to'
  | 'receive on'

/**
 * Which kind of socket failed: some codes mean something else on each (ECONNREFUSED on UDP is an
 * ICMP "port unreachable" answering an earlier datagram), and some occur on one only.
 */
export type Transport = 'tcp' | 'udp'

/** The `code` of a Node.js system error (`ECONNREFUSED`, …), or `undefined` for any other value. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * The `AbortError` of a connect or bind whose signal fired before it completed, TCP or UDP:
 * `Connect to 127.0.0.1:7788 was aborted`, with the signal's reason as `cause`.
 */
export function abortedError(
  operation: 'connect to' | 'bind to',
  where: string,
  reason: unknown,
): AbortError {
  const verb = operation === 'connect to' ? 'Connect to' : 'Bind to'
  return new AbortError(`${verb} ${where} was aborted`, { cause: reason })
}

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
 * Wraps a Node.js socket error in the it-socket class for its `code`, keeping the original as
 * `cause` and naming the address (`where`). Errors that already are it-socket errors pass through
 * unchanged; a code without a class of its own becomes a `SocketError`. `transport` says which kind
 * of socket failed (a TCP or Unix one unless given); `datagram` names, for a UDP send that failed
 * with EMSGSIZE, what was sent (`65520-byte datagram`).
 */
export function translateError(
  err: unknown,
  operation: SocketOperation,
  where: string,
  transport: Transport = 'tcp',
  datagram = 'datagram',
): ItSocketError {
  if (err instanceof ItSocketError) return err
  // A TLS alert or protocol error on an established connection (e.g. the server refusing our
  // certificate after a TLS 1.3 handshake completed on our side).
  if (isTlsFailure(err)) return tlsError(err, where, operation === 'connect to' ? 'handshake' : 'connection')
  const code = errorCode(err)
  const options = { cause: err }
  const tcp = transport === 'tcp'
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(
        tcp
          ? `Connection refused by ${where}: nobody is listening there`
          : `Port unreachable at ${where}: nobody is listening there (ICMP, ECONNREFUSED)`,
        options,
      )
    case 'EADDRINUSE':
      return new AddressInUseError(
        `Cannot ${tcp ? 'listen on' : 'bind to'} ${where}: address already in use`,
        options,
      )
    case 'ENOENT':
      if (tcp && operation === 'connect to') {
        return new ConnectionRefusedError(`Cannot connect to ${where}: no such socket file`, options)
      }
      break
    // A datagram socket has no connection to reset or time out: there these stay SocketErrors.
    case 'ECONNRESET':
    case 'EPIPE':
      if (tcp)
        return new ConnectionResetError(`Connection with ${where} was reset by the peer (${code})`, options)
      break
    case 'ETIMEDOUT':
      if (tcp) return new TimeoutError(`Timed out on ${operation} ${where} (${code})`, options)
      break
    case 'EMSGSIZE':
      if (!tcp) {
        return new DatagramTooLargeError(
          `Cannot send ${datagram} to ${where}: larger than this system allows (EMSGSIZE)`,
          options,
        )
      }
      break
  }
  if (code !== undefined && HOST_NOT_FOUND_CODES.has(code)) {
    return new HostNotFoundError(`Cannot ${operation} ${where}: host not found (${code})`, options)
  }
  const detail = err instanceof Error ? err.message : String(err)
  return new SocketError(`Socket error on ${operation} ${where}: ${detail}`, options)
}
