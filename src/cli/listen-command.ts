import {
  AbortError,
  type Connection,
  formatAddress,
  listen,
  type ProxyProtocolOptions,
  type Server,
  type TlsListenOptions,
} from 'it-socket'
import type { Framing } from './framing.js'
import { debug, log } from './log.js'
import { formatMessage, terminator } from './messages.js'
import { writeOut } from './output.js'
import { formatError } from './report.js'
import { onShutdownSignals } from './shutdown-signals.js'
import { serverStatsLine } from './stats.js'
import type { Target } from './target.js'
import { type TlsSetup, tlsLoadError } from './tls-flags.js'
import { tlsSummary } from './tls-summary.js'

/** Options of `it-socket listen` over TCP or a Unix socket. */
export interface ListenCommandOptions {
  target: Target
  framing: Framing
  /** `--echo`: send each message back instead of printing it. */
  echo: boolean
  /** `--until MSG`: end a connection once it sent MSG (echoed first with `--echo`). */
  until: string | undefined
  maxConnections: number | undefined
  idleTimeout: number | undefined
  /** `--workers N`: serve from N `node:cluster` worker processes (1: this process alone). */
  workers: number
  /**
   * `--stats [SECONDS]`, in milliseconds: log a line of `server.stats` this often, and once more at
   * exit. In a `--workers` worker, that worker's own counters.
   */
  statsInterval: number | undefined
  /** `--proxy-protocol [--trusted CIDR,…]`: read a PROXY header first (`true`: from loopback only). */
  proxyProtocol: true | ProxyProtocolOptions | undefined
  /** `--tls` with its certificate files read: serve TLS. */
  tls: TlsSetup<TlsListenOptions> | undefined
  /**
   * `--verbose`: stack traces with the errors logged, what each TLS connection negotiated, and
   * (with `--proxy-protocol`) the proxy each connection came through.
   */
  verbose: boolean
}

/** The default host: loopback only, safer than every interface for a development tool. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1'

/** Milliseconds open connections get to finish after Ctrl-C or SIGTERM, before they are aborted. */
export const SHUTDOWN_TIMEOUT = 2_000

/**
 * `it-socket listen`: a multi-client server. Each connection's messages are echoed (`--echo`) or
 * printed to stdout, prefixed with the peer's address while more than one peer is connected. Runs
 * until SIGINT or SIGTERM, then stops accepting, gives connections {@link SHUTDOWN_TIMEOUT} ms to
 * finish and resolves with 0. With `--tls`, a client whose handshake fails is logged (one line
 * naming it and the reason) and never becomes a connection. With `--proxy-protocol`, the peer named
 * everywhere is the client of the PROXY header; a connection from an untrusted address, or with a
 * bad, late or missing header, is logged (one line) and never becomes a connection either.
 *
 * With `--stats`, a line of the server's counters every interval (an unref'ed timer, stopped at
 * shutdown) and once more after the drain, before `server closed`.
 *
 * `onShutdown` says when to drain and when to force: SIGINT and SIGTERM, or in a `--workers` worker
 * the primary's messages.
 *
 * @throws the listen error (`AddressInUseError`) for main to report, or a `UsageError` for
 *   certificate files OpenSSL cannot load
 */
export async function listenCommand(
  options: ListenCommandOptions,
  onShutdown: typeof onShutdownSignals = onShutdownSignals,
): Promise<number> {
  const { framing, target } = options
  const verbose = options.verbose || debug.enabled
  let server: Server
  try {
    server = await listen({
      ...(target.path === undefined
        ? { host: target.host ?? DEFAULT_LISTEN_HOST, port: target.port }
        : { path: target.path }),
      ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
      ...(options.proxyProtocol === undefined ? {} : { proxyProtocol: options.proxyProtocol }),
      ...(options.tls === undefined ? {} : { tls: options.tls.options }),
      // Errors of the listening socket, connections turned away (ServerBusyError), with TLS failed
      // handshakes (TlsError, TimeoutError), and with the PROXY protocol untrusted peers and bad,
      // late or missing headers (ProxyProtocolError): their messages name the peer.
      onError: (err) => log(formatError(err, verbose)),
    })
  } catch (err) {
    throw tlsLoadError(err, options.tls, 'listen')
  }
  log(`listening on ${formatAddress(server.address)} (${describeMode(options)})`)

  const statsTimer =
    options.statsInterval === undefined
      ? undefined
      : setInterval(() => log(serverStatsLine(server.stats)), options.statsInterval).unref()
  const open = new Set<Connection>()
  let shuttingDown = false
  let serial = 0
  const removeSignalHandlers = onShutdown(
    () => {
      shuttingDown = true
      clearInterval(statsTimer)
      void server.close({ timeout: SHUTDOWN_TIMEOUT })
    },
    () => {
      for (const conn of open) conn.abort(new AbortError('server shutting down'))
    },
  )

  await server.serve(async (conn) => {
    const peer = peerName(conn, ++serial)
    open.add(conn)
    log(connectedLine(conn, peer, verbose, options.proxyProtocol !== undefined))
    try {
      const messages = terminator(framing, options.until)(framing.messages.decode(conn.source))
      if (options.echo) {
        await conn.sink(framing.messages.encode(messages))
      } else {
        for await (const message of messages) {
          await writeOut(formatMessage(framing, message, open.size > 1 ? `[${peer}] ` : ''))
        }
      }
    } catch (err) {
      // One line naming the peer; the server goes on serving the others.
      if (!(shuttingDown && err instanceof AbortError)) log(`${peer}: ${formatError(err, verbose)}`)
      conn.abort(err instanceof Error ? err : undefined)
    } finally {
      open.delete(conn)
      log(`${peer} closed`)
    }
  })
  removeSignalHandlers()
  clearInterval(statsTimer)
  // After the drain: every connection has closed, so these are the final counts.
  if (options.statsInterval !== undefined) log(serverStatsLine(server.stats))
  log('server closed')
  return 0
}

/**
 * What the "listening on" line says in parentheses: `proxy protocol, tls, echo, framing lines`, and
 * `stats every 10 s` with `--stats`.
 */
function describeMode(options: ListenCommandOptions): string {
  const proxy = options.proxyProtocol === undefined ? [] : ['proxy protocol']
  const security =
    options.tls === undefined ? [] : [options.tls.options.requestCert === true ? 'mutual tls' : 'tls']
  const stats = options.statsInterval === undefined ? [] : [`stats every ${options.statsInterval / 1000} s`]
  return [
    ...proxy,
    ...security,
    options.echo ? 'echo' : 'print',
    `framing ${options.framing.spec}`,
    ...stats,
  ].join(', ')
}

/**
 * `PEER connected`; with `--verbose`, ` via proxy ADDRESS` (the socket's peer, under
 * `--proxy-protocol`) and `: WHAT TLS NEGOTIATED`.
 */
function connectedLine(conn: Connection, peer: string, verbose: boolean, proxied: boolean): string {
  if (!verbose) return `${peer} connected`
  const via = proxied ? ` via proxy ${formatAddress(conn.socketRemoteAddress)}` : ''
  const tls = conn.tls === undefined ? '' : `: ${tlsSummary(conn.tls, 'client')}`
  return `${peer} connected${via}${tls}`
}

/** The peer's address; Unix peers all show the socket's path, so they are numbered too. */
function peerName(conn: Connection, serial: number): string {
  const name = formatAddress(conn.remoteAddress)
  return 'path' in conn.remoteAddress ? `${name}#${serial}` : name
}
