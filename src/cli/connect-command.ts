import { type Chunk, type Connection, connect, formatAddress, type TlsConnectOptions } from 'it-socket'
import type { Framing } from './framing.js'
import { debug, log } from './log.js'
import { encodeMessage, formatMessage, parseLine, terminator } from './messages.js'
import { writeOut } from './output.js'
import { describeError } from './report.js'
import { settled } from './settled.js'
import { connectionStatsLine } from './stats.js'
import { readStdin, readStdinLines } from './stdin.js'
import type { Target } from './target.js'
import { type TlsSetup, tlsLoadError } from './tls-flags.js'
import { tlsSummary } from './tls-summary.js'

/** Options of `it-socket connect` over TCP or a Unix socket. */
export interface ConnectCommandOptions {
  target: Target
  framing: Framing
  /** `--until MSG`: exit once a received message equals MSG. */
  until: string | undefined
  /** `--timeout MS`: give up connecting after MS milliseconds (the TLS handshake included). */
  timeout: number | undefined
  /** `--tls` with its certificate files read: speak TLS. */
  tls: TlsSetup<TlsConnectOptions> | undefined
  /**
   * `--verbose`: stack traces with errors, what TLS negotiated, and at exit the bytes sent and
   * received (`closed: 6 B sent, 6 B received in 12 ms`).
   */
  verbose: boolean
}

/**
 * After the last message was received, how long the connection may take to close gracefully (the
 * peer's FIN) before it is aborted: everything we sent has been handed to the OS by then.
 */
const CLOSE_WAIT = 1_000

/**
 * `it-socket connect`: stdin to the socket, the socket to stdout, both through the framing. Stdin's
 * end half-closes our side; the replies are still printed until the peer ends its side (or `--until`
 * matched), then stdin is let go and the connection closed. Resolves with the exit status: 0, or 1
 * when the connection failed or a line of stdin could not be sent. With `--verbose` a last line on
 * stderr says how many bytes went each way (after a failure too, before main reports it).
 *
 * @throws the connect error (`ConnectionRefusedError`, `TimeoutError`, `TlsError` for a failed
 *   handshake) for main to report, or a `UsageError` for certificate files OpenSSL cannot load
 */
export async function connectCommand(options: ConnectCommandOptions): Promise<number> {
  const { framing, target } = options
  if (options.tls?.options.rejectUnauthorized === false) {
    log(
      "warning: --insecure: the server's certificate is not verified; anyone on the way can read and change the traffic",
    )
  }
  let conn: Connection
  try {
    conn = await connect({
      ...(target.path === undefined
        ? { host: target.host ?? 'localhost', port: target.port }
        : { path: target.path }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      ...(options.tls === undefined ? {} : { tls: options.tls.options }),
    })
  } catch (err) {
    throw tlsLoadError(err, options.tls, 'connect')
  }
  debug('connected to %s from %s', formatAddress(conn.remoteAddress), formatAddress(conn.localAddress))
  const verbose = options.verbose || debug.enabled
  const tls = conn.tls
  if (tls !== undefined && verbose) {
    log(`connected to ${formatAddress(conn.remoteAddress)}: ${tlsSummary(tls, 'server')}`)
  }
  let status = 0
  const stopStdin = new AbortController()
  const skipped = (err: unknown): void => {
    status = 1
    log(describeError(err))
  }
  // The sink aborts the connection if its source throws (stdin unreadable): then receiving fails
  // with the same error, so only receiving's failure is reported.
  const sending = conn.sink(outgoing(framing, stopStdin.signal, skipped))
  sending.catch((err: unknown) => debug('sending failed: %o', err))
  try {
    await receive(conn, framing, options.until)
    debug('done receiving')
  } catch (err) {
    stopStdin.abort()
    conn.abort()
    if (verbose) log(connectionStatsLine(conn.stats))
    throw err
  }
  // Done: the peer ended its side or --until matched. Stop reading stdin (a terminal would keep us
  // alive); the sink then flushes and half-closes, and the connection closes once the peer ends too.
  stopStdin.abort()
  await settled(sending, CLOSE_WAIT)
  // Exit once the peer has ended too (so it sees no reset for bytes still in flight), or after the
  // timeout, when close() destroys the socket.
  await conn.close({ timeout: CLOSE_WAIT })
  await conn.closed
  if (verbose) log(connectionStatsLine(conn.stats))
  return status
}

/** Prints each message received until the peer's end or `--until`. */
async function receive(conn: Connection, framing: Framing, until: string | undefined): Promise<void> {
  const messages = terminator(framing, until)(framing.messages.decode(conn.source))
  for await (const message of messages) await writeOut(formatMessage(framing, message))
}

/**
 * What we send: stdin's chunks as they are for `raw`, otherwise one encoded message per line. A line
 * that is not a message (bad JSON, the wrong size for `fixed:N`, a delimiter inside) is reported
 * with its number and skipped.
 */
async function* outgoing(
  framing: Framing,
  signal: AbortSignal,
  skipped: (err: unknown) => void,
): AsyncGenerator<Chunk> {
  if (framing.raw) {
    yield* readStdin(signal)
    return
  }
  let number = 0
  for await (const line of readStdinLines(signal)) {
    number++
    let chunk: Chunk
    try {
      chunk = await encodeMessage(framing.messages, parseLine(framing, line))
    } catch (err) {
      skipped(new Error(`stdin line ${number} not sent: ${describeError(err)}`, { cause: err }))
      continue
    }
    yield chunk
  }
}
