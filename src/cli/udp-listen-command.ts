import { type Datagram, formatAddress, udp } from 'it-socket'
import { datagramMessage } from './datagrams.js'
import type { Framing } from './framing.js'
import { DEFAULT_LISTEN_HOST } from './listen-command.js'
import { debug, log } from './log.js'
import { formatMessage } from './messages.js'
import { writeOut } from './output.js'
import { formatError } from './report.js'
import { onShutdownSignals } from './shutdown-signals.js'

/** Options of `it-socket listen --udp`. */
export interface UdpListenCommandOptions {
  host: string | undefined
  port: number
  /** `raw` or `lines` (checked by the argument parser). */
  framing: Framing
  /** `--echo`: send each datagram back to its sender instead of printing it. */
  echo: boolean
  /** `--verbose`: stack traces with the errors logged. */
  verbose: boolean
}

/**
 * `it-socket listen --udp`: binds a UDP socket and echoes each datagram to its sender (`--echo`) or
 * prints it, prefixed with the sender's address once more than one sender has been seen. Each new
 * sender is logged once on stderr (UDP has no connections to open or close). Runs until SIGINT or
 * SIGTERM, then closes the socket and resolves with 0.
 *
 * @throws the bind error (`AddressInUseError`) for main to report
 */
export async function udpListenCommand(options: UdpListenCommandOptions): Promise<number> {
  const { framing } = options
  const sock = await udp.bind({ host: options.host ?? DEFAULT_LISTEN_HOST, port: options.port })
  const mode = options.echo ? 'echo' : 'print'
  log(`listening on ${formatAddress(sock.address)} (udp, ${mode}, framing ${framing.spec})`)
  const removeSignalHandlers = onShutdownSignals(
    () => void sock.close(),
    () => sock.abort(),
  )
  const peers = new Set<string>()
  try {
    for await (const datagram of sock.source) {
      const peer = senderOf(datagram)
      if (!peers.has(peer)) {
        peers.add(peer)
        log(`${peer}: first datagram`)
      }
      debug('%s: %d bytes', peer, datagram.data.length)
      if (options.echo) {
        try {
          await sock.sink([datagram])
        } catch (err) {
          // A failed send concerns one datagram: report it and go on serving.
          log(`${peer}: ${formatError(err, options.verbose || debug.enabled)}`)
        }
      } else {
        const prefix = peers.size > 1 ? `[${peer}] ` : ''
        await writeOut(formatMessage(framing, datagramMessage(framing, datagram.data), prefix))
      }
    }
  } finally {
    removeSignalHandlers()
    await sock.close()
  }
  if (sock.dropped > 0) log(`${sock.dropped} datagrams dropped (arrived faster than they were handled)`)
  log('socket closed')
  return 0
}

function senderOf(datagram: Datagram): string {
  return formatAddress({ address: datagram.address, port: datagram.port, family: datagram.family })
}
