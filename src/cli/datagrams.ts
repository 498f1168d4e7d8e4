import type { Framing } from './framing.js'

/**
 * The largest datagram sent: 65,507 bytes, the most a UDP payload over IPv4 can carry. `raw` stdin
 * chunks (up to 64 KiB) are cut to it.
 */
export const MAX_DATAGRAM = 65_507

const encoder = new TextEncoder()

/**
 * A datagram as a message under `--udp`. With `lines`, a datagram is one line: one trailing `\n` (or
 * `\r\n`) is not part of it, so `nc -u`'s datagrams (which end with `\n`) print once and match
 * `--until`. With `raw`, the datagram's bytes as they are.
 */
export function datagramMessage(framing: Framing, data: Uint8Array): Uint8Array {
  if (framing.raw) return data
  let end = data.length
  if (data[end - 1] === 0x0a) end--
  if (end < data.length && data[end - 1] === 0x0d) end--
  return data.subarray(0, end)
}

/** Cuts a stdin chunk into datagrams of at most {@link MAX_DATAGRAM} bytes. */
export function* cut(chunk: Uint8Array): Generator<Uint8Array> {
  for (let start = 0; start < chunk.length; start += MAX_DATAGRAM) {
    yield chunk.subarray(start, start + MAX_DATAGRAM)
  }
}

/** The datagram for one stdin line under `--udp --framing lines`: its UTF-8, without `\n`. */
export function lineDatagram(line: string): Uint8Array {
  return encoder.encode(line)
}
