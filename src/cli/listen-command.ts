import { AbortError, type Connection, formatAddress, listen } from 'it-socket'
import type { Framing } from './framing.js'
import { debug, log } from './log.js'
import { formatMessage, terminator } from './messages.js'
import { writeOut } from './output.js'
import { formatError } from './report.js'
import { onShutdownSignals } from './shutdown-signals.js'
import type { Target } from './target.js'

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
  /** `--verbose`: stack traces with the errors logged. */
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
 * finish and resolves with 0.
 *
 * @throws the listen error (`AddressInUseError`) for main to report
 */
export async function listenCommand(options: ListenCommandOptions): Promise<number> {
  const { framing, target } = options
  const verbose = options.verbose || debug.enabled
  const server = await listen({
    ...(target.path === undefined
      ? { host: target.host ?? DEFAULT_LISTEN_HOST, port: target.port }
      : { path: target.path }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
    // Errors of the listening socket, and connections turned away (ServerBusyError).
    onError: (err) => log(formatError(err, verbose)),
  })
  const mode = options.echo ? 'echo' : 'print'
  log(`listening on ${formatAddress(server.address)} (${mode}, framing ${framing.spec})`)

  const open = new Set<Connection>()
  let shuttingDown = false
  let serial = 0
  const removeSignalHandlers = onShutdownSignals(
    () => {
      shuttingDown = true
      void server.close({ timeout: SHUTDOWN_TIMEOUT })
    },
    () => {
      for (const conn of open) conn.abort(new AbortError('server shutting down'))
    },
  )

  await server.serve(async (conn) => {
    const peer = peerName(conn, ++serial)
    open.add(conn)
    log(`${peer} connected`)
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
  log('server closed')
  return 0
}

/** The peer's address; Unix peers all show the socket's path, so they are numbered too. */
function peerName(conn: Connection, serial: number): string {
  const name = formatAddress(conn.remoteAddress)
  return 'path' in conn.remoteAddress ? `${name}#${serial}` : name
}
