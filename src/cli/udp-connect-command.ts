import { formatAddress, udp } from 'it-socket'
import { cut, datagramMessage, lineDatagram, MAX_DATAGRAM } from './datagrams.js'
import type { Framing } from './framing.js'
import { debug, log } from './log.js'
import { formatMessage, terminator } from './messages.js'
import { writeOut } from './output.js'
import { readStdin, readStdinLines } from './stdin.js'

/** Options of `it-socket connect --udp`. */
export interface UdpConnectCommandOptions {
  host: string | undefined
  port: number
  /** `raw` or `lines` (checked by the argument parser). */
  framing: Framing
  until: string | undefined
  /** After stdin ends, exit once no datagram arrived for this many milliseconds. */
  linger: number
}

/** Default of {@link UdpConnectCommandOptions.linger}: UDP has no end of stream to wait for. */
export const UDP_LINGER = 1_000

/**
 * `it-socket connect --udp`: each stdin line (each chunk with `raw`) is one datagram to the peer;
 * each datagram received is printed. UDP has no end of stream, so after stdin ends we exit once no
 * datagram arrived for `linger` ms, or at once when `--until` matched. A closed port (ICMP port
 * unreachable) fails the next read with `ConnectionRefusedError`.
 */
export async function udpConnectCommand(options: UdpConnectCommandOptions): Promise<number> {
  const { framing } = options
  const sock = await udp.connect({ host: options.host ?? 'localhost', port: options.port })
  debug('UDP socket %s connected to %s', formatAddress(sock.localAddress), formatAddress(sock.remoteAddress))
  const stopStdin = new AbortController()
  let status = 0
  let failure: { error: unknown } | undefined
  let stdinEnded = false
  let lingerTimer: NodeJS.Timeout | undefined
  let done = false
  const linger = (): void => {
    clearTimeout(lingerTimer)
    if (done) return
    lingerTimer = setTimeout(() => void sock.close(), options.linger)
  }

  async function* datagrams(): AsyncGenerator<Uint8Array> {
    if (framing.raw) {
      for await (const chunk of readStdin(stopStdin.signal)) yield* cut(chunk)
      return
    }
    let number = 0
    for await (const line of readStdinLines(stopStdin.signal)) {
      number++
      const data = lineDatagram(line)
      if (data.length > MAX_DATAGRAM) {
        status = 1
        log(
          `stdin line ${number} not sent: ${data.length} bytes, more than a datagram holds (${MAX_DATAGRAM})`,
        )
        continue
      }
      yield data
    }
  }

  sock.sink(datagrams()).then(
    () => {
      stdinEnded = true
      linger()
    },
    (err: unknown) => {
      failure ??= { error: err }
      void sock.close()
    },
  )
  try {
    const messages = (async function* () {
      for await (const data of sock.source) {
        if (stdinEnded) linger()
        yield datagramMessage(framing, data)
      }
    })()
    for await (const message of terminator(framing, options.until)(messages)) {
      await writeOut(formatMessage(framing, message))
    }
  } catch (err) {
    failure ??= { error: err }
  } finally {
    done = true
    clearTimeout(lingerTimer)
    stopStdin.abort()
    await sock.close()
  }
  if (failure !== undefined) throw failure.error
  return status
}
