import type { TLSSocket } from 'node:tls'
import { describeValue } from '../describe.js'
import { TimeoutError } from '../errors.js'
import { type UnwrappedDuplex, unwrapOrigin } from '../framing/framed.js'
import { TLS_HANDSHAKE_TIMEOUT } from '../limits.js'
import { formatAddress } from '../socket/address.js'
import { Connection, connectionInternals } from '../socket/connection.js'
import { validateMs, validateOptions } from '../socket/validate.js'
import { waitFor } from '../socket/wait-for.js'
import { nodeTls } from './node-tls.js'
import { TlsAcceptor } from './tls-acceptor.js'
import { tlsError } from './tls-error.js'
import {
  type ClientTls,
  type ServerTls,
  type StartTlsOptions,
  validateClientTls,
  validateServerTls,
} from './tls-options.js'

/**
 * Upgrades an open plain connection to TLS over the same socket (STARTTLS, as SMTP, IMAP,
 * PostgreSQL and XMPP do) and resolves with the TLS connection, once its handshake is done and the
 * peer verified. The plain connection is done with: reading or writing it throws
 * `SocketClosedError`, while `close()`, `abort()` and `closed` act on the TLS connection (so a
 * `serve()` handler may keep returning the plain one).
 *
 * `conn` is the connection, or what `framed(conn, codec).unwrap()` returned after the plain
 * exchange: the bytes received past the upgrade point (read ahead by the codec, or still queued)
 * are handed to the TLS handshake, in order, never lost and never read as plaintext.
 *
 * `options` are those of a TLS client (`connect({ tls })`: `ca`, `servername`, …; the server's
 * certificate is checked against `servername`, else against the peer's address), or, for the
 * accepting side, `{ isServer: true, cert, key, … }` as `listen({ tls })` takes. `handshakeTimeout`
 * (ms, default 10 s, `0` for none) bounds the handshake on both sides.
 *
 * @example
 * ```ts
 * const f = framed(conn, lines())
 * await f.write('STARTTLS')
 * if ((await f.read()) !== '220 go ahead') throw new Error('no STARTTLS')
 * const secure = await startTls(f.unwrap(), { ca, servername: 'mail.example.com' })
 * ```
 * @throws {TlsError} the handshake failed, or the peer's certificate did not verify (`ERR_TLS`)
 * @throws {TimeoutError} the handshake took longer than `handshakeTimeout` (`ERR_TIMEOUT`)
 * @throws {SocketClosedError} the connection is closed, or one of its sides has ended
 * @throws {ReadInUseError | SinkInUseError} a read of the connection is waiting, or a pipe still writes to it
 */
export async function startTls(
  conn: Connection | UnwrappedDuplex,
  options: StartTlsOptions & { handshakeTimeout?: number },
): Promise<Connection> {
  const fn = 'startTls()'
  validateOptions(fn, options)
  const { connection, replay } = connectionOf(fn, conn)
  const { isServer, handshakeTimeout: timeoutOption, ...tlsOptions } = options
  if (isServer !== undefined && typeof isServer !== 'boolean') {
    throw new TypeError(`${fn}: isServer must be a boolean, got ${describeValue(isServer)}`)
  }
  const remote = connection.remoteAddress
  const peer = formatAddress(remote)
  const peerHost = 'address' in remote ? remote.address : undefined
  // Either side's options, checked: the accepting side's include its handshake limit.
  const side: { server: ServerTls } | { client: ClientTls } =
    isServer === true
      ? { server: await validateServerTls(fn, { ...tlsOptions, handshakeTimeout: timeoutOption }) }
      : { client: await validateClientTls(fn, tlsOptions, undefined) }
  // The accepting side's limit is checked with its options (validateServerTls): this is the client's.
  const timeout = validateMs(fn, 'handshakeTimeout', timeoutOption) ?? TLS_HANDSHAKE_TIMEOUT

  const internals = connectionInternals()
  const { socket, buffered } = internals.upgrade(connection)
  const ahead = [...replay(), ...buffered]
  // Node.js feeds what the socket has buffered to the handshake first (and our bytes go before what
  // it buffered after them).
  if (ahead.length > 0) socket.unshift(Buffer.concat(ahead))

  let secure: TLSSocket
  if ('server' in side) {
    secure = await new Promise<TLSSocket>((resolve, reject) => {
      new TlsAcceptor(side.server, { onSecure: resolve, onFailure: reject }).accept(socket, peer)
    })
  } else {
    const { options } = side.client
    // A server that goes away mid-handshake must end it, not leave it waiting for the rest (the TLS
    // socket takes this setting from the plain one); set back once secure, for the close contract.
    socket.allowHalfOpen = false
    const tls = nodeTls().connect({
      socket,
      // The certificate is checked against `servername`, else the peer's address: never the
      // 'localhost' Node.js would assume.
      ...(peerHost === undefined ? {} : { host: peerHost }),
      ...options,
    })
    try {
      await waitFor(tls, {
        event: 'secureConnect',
        onError: (err) => tlsError(err, peer, 'handshake'),
        timeout: timeout === 0 ? undefined : timeout,
        onTimeout: () => new TimeoutError(`TLS handshake with ${peer} timed out after ${timeout} ms`),
      })
    } catch (err) {
      tls.destroy()
      throw err
    }
    tls.allowHalfOpen = true
    secure = tls
  }
  const init = internals.init(connection)
  const upgraded = new Connection(secure, init)
  internals.succeed(connection, upgraded)
  return upgraded
}

/** The connection under `conn`, and how to take the bytes an unwrapped codec read past the upgrade point. */
function connectionOf(fn: string, conn: unknown): { connection: Connection; replay: () => Uint8Array[] } {
  if (conn instanceof Connection) return { connection: conn, replay: () => [] }
  const origin = typeof conn === 'object' && conn !== null ? unwrapOrigin(conn) : undefined
  if (origin !== undefined) {
    const inner = connectionOf(fn, origin.duplex)
    return {
      connection: inner.connection,
      replay: () => [...origin.takeReplay(), ...inner.replay()],
    }
  }
  throw new TypeError(
    `${fn}: conn must be a connection, or what framed(conn, codec).unwrap() returned, got ${describeValue(conn)}`,
  )
}
