/**
 * The PROXY protocol v1 line (HAProxy's doc/proxy-protocol.txt, section 2.1), parsed strictly and
 * byte by byte, so that a bad line fails at its first byte that no valid line could have:
 *
 *     PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n
 *     PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n
 *     PROXY UNKNOWN[ anything]\r\n
 *
 * Single spaces, no leading zeros in ports or IPv4 numbers, ports 0–65535, addresses of the announced
 * family, CRLF (neither alone), at most 107 bytes with the CRLF.
 *
 * @module
 */

import { formatIPv4, formatIPv6, scanIPv4, scanIPv6 } from './ip.js'
import { INCOMPLETE, reject } from './parse-result.js'
import type { ProxyAddress, ProxyParseResult } from './types.js'

/** The longest v1 line, CRLF included: `PROXY UNKNOWN` with two full IPv6 addresses and ports. */
export const V1_MAX_LENGTH = 107

/** Bytes that may precede the final LF; the CR is at index `FIELD_LIMIT - 1` at the latest. */
const FIELD_LIMIT = V1_MAX_LENGTH - 1

const SP = 0x20
const CR = 0x0d
const LF = 0x0a

/** `PROXY ` */
const SIGNATURE = [0x50, 0x52, 0x4f, 0x58, 0x59, 0x20]
/** `TCP` (then `4` or `6`) and `UNKNOWN`. */
const TCP = [0x54, 0x43, 0x50]
const UNKNOWN = [0x55, 0x4e, 0x4b, 0x4e, 0x4f, 0x57, 0x4e]

/** The byte for a message: `"x"` when printable ASCII, else `0x0d`. */
export function describeByte(c: number): string {
  return c > 0x20 && c < 0x7f ? `"${String.fromCharCode(c)}"` : `0x${c.toString(16).padStart(2, '0')}`
}

/** The bytes ran out at `pos`: fine unless the line can no longer end within 107 bytes. */
function ranOut(pos: number): ProxyParseResult {
  if (pos >= FIELD_LIMIT) {
    reject('V1_TOO_LONG', `no CRLF within the first ${V1_MAX_LENGTH} bytes of the v1 line`, FIELD_LIMIT - 1)
  }
  return INCOMPLETE
}

/**
 * Checks the byte where a field must start: not a second space, not the end of the line.
 * Returns false when there is no byte yet.
 */
function fieldStarts(bytes: Uint8Array, pos: number, limit: number, field: string): boolean {
  if (pos >= limit) return false
  const c = bytes[pos] as number
  if (c === SP) reject('V1_BAD_SEPARATOR', `a second space where the ${field} should start`, pos)
  if (c === CR || c === LF) reject('V1_MISSING_FIELD', `the line ends before the ${field}`, pos)
  return true
}

/** Matches `literal` at `pos`; returns the position after it, or -1 when the bytes ran out first. */
function literal(bytes: Uint8Array, pos: number, limit: number, expected: readonly number[]): number {
  for (const e of expected) {
    if (pos >= limit) return -1
    const c = bytes[pos] as number
    if (c !== e) badProtocol(c, pos)
    pos++
  }
  return pos
}

function badProtocol(c: number, pos: number): never {
  if (c === CR || c === LF) reject('V1_MISSING_FIELD', 'the line ends inside the protocol', pos)
  return reject('V1_BAD_PROTOCOL', `protocol must be TCP4, TCP6 or UNKNOWN, got ${describeByte(c)}`, pos)
}

/** Parses the address field at `pos` (which has a byte); returns the position after its space, or -1. */
function address(
  bytes: Uint8Array,
  pos: number,
  limit: number,
  v6: boolean,
  field: string,
  out: string[],
): number {
  const scan = v6 ? scanIPv6(bytes, pos, limit) : scanIPv4(bytes, pos, limit)
  const kind = v6 ? 'an IPv6' : 'an IPv4'
  if (scan.error === 'LEADING_ZERO') {
    reject('V1_LEADING_ZERO', `leading zero in a number of the ${field}`, scan.stop)
  }
  if (scan.error === 'BAD') reject('V1_BAD_ADDRESS', `the ${field} is not ${kind} address`, scan.stop)
  if (scan.stop >= limit) return -1
  const c = bytes[scan.stop] as number
  if (scan.value === undefined || (c !== SP && c !== CR && c !== LF)) {
    reject('V1_BAD_ADDRESS', `the ${field} is not ${kind} address`, scan.stop)
  }
  if (c !== SP) reject('V1_MISSING_FIELD', `the line ends after the ${field}`, scan.stop)
  out.push(v6 ? formatIPv6(scan.value, 0) : formatIPv4(scan.value, 0))
  return scan.stop + 1
}

/**
 * Parses the port field at `pos` (which has a byte) and its terminator, a space (`last` false) or the
 * CR (`last` true); returns the position of that terminator, or -1.
 */
function port(bytes: Uint8Array, pos: number, limit: number, last: boolean, ports: number[]): number {
  const field = last ? 'destination port' : 'source port'
  let value = 0
  let digits = 0
  for (; pos < limit; pos++) {
    const c = bytes[pos] as number
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) reject('V1_LEADING_ZERO', `leading zero in the ${field}`, pos)
      value = value * 10 + (c - 0x30)
      if (value > 0xffff) reject('V1_BAD_PORT', `the ${field} is above 65535`, pos)
      digits++
      continue
    }
    if (c === SP) {
      if (last) reject('V1_BAD_SEPARATOR', `a space after the ${field}, where CRLF should be`, pos)
    } else if (c === CR || c === LF) {
      if (!last) reject('V1_MISSING_FIELD', `the line ends after the ${field}`, pos)
      if (c === LF) reject('V1_BAD_CRLF', 'LF without CR', pos)
    } else {
      reject('V1_BAD_PORT', `the ${field} is not a decimal number: ${describeByte(c)}`, pos)
    }
    ports.push(value)
    return pos
  }
  return -1
}

/** At the CR at `pos` (at most index 105): the LF must follow. */
function lineEnd(bytes: Uint8Array, pos: number): number {
  if (pos + 1 >= bytes.length) return -1
  if (bytes[pos + 1] !== LF) reject('V1_BAD_CRLF', 'CR not followed by LF', pos + 1)
  return pos + 2
}

/**
 * Parses a v1 line from the start of `bytes` (whose first byte is `P`). Returns `incomplete` while the
 * bytes are a valid beginning, throws `ProxyProtocolError` at the first byte that proves them invalid.
 */
export function parseV1(bytes: Uint8Array): ProxyParseResult {
  const n = bytes.length
  const limit = Math.min(n, FIELD_LIMIT)
  for (let i = 0; i < SIGNATURE.length; i++) {
    if (i >= n) return INCOMPLETE
    const c = bytes[i] as number
    if (c !== SIGNATURE[i]) reject('BAD_SIGNATURE', `expected "PROXY " (v1), got ${describeByte(c)}`, i)
  }
  let pos = SIGNATURE.length
  if (!fieldStarts(bytes, pos, limit, 'protocol')) return ranOut(pos)

  if (bytes[pos] === UNKNOWN[0]) {
    pos = literal(bytes, pos, limit, UNKNOWN)
    if (pos < 0) return ranOut(limit)
    // "the receiver must ignore anything presented before the CRLF": but a lone CR or LF still ends
    // nothing, and the line must still fit in 107 bytes.
    for (let i = pos; i < limit; i++) {
      const c = bytes[i] as number
      if (c === LF) reject('V1_BAD_CRLF', 'LF without CR', i)
      if (i === pos && c !== SP && c !== CR) badProtocol(c, i)
      if (c === CR) {
        const length = lineEnd(bytes, i)
        if (length < 0) return INCOMPLETE
        return { status: 'done', header: { version: 1, command: 'PROXY', tlvs: { raw: [] } }, length }
      }
    }
    return ranOut(limit)
  }

  pos = literal(bytes, pos, limit, TCP)
  if (pos < 0) return ranOut(limit)
  if (pos >= limit) return ranOut(limit)
  const digit = bytes[pos] as number
  if (digit !== 0x34 && digit !== 0x36) badProtocol(digit, pos)
  const v6 = digit === 0x36
  pos++
  if (pos >= limit) return ranOut(limit)
  const after = bytes[pos] as number
  if (after === CR || after === LF) reject('V1_MISSING_FIELD', 'the line ends after the protocol', pos)
  if (after !== SP) badProtocol(after, pos)
  pos++

  const addresses: string[] = []
  for (const field of ['source address', 'destination address']) {
    if (!fieldStarts(bytes, pos, limit, field)) return ranOut(pos)
    pos = address(bytes, pos, limit, v6, field, addresses)
    if (pos < 0) return ranOut(limit)
  }
  const ports: number[] = []
  if (!fieldStarts(bytes, pos, limit, 'source port')) return ranOut(pos)
  pos = port(bytes, pos, limit, false, ports)
  if (pos < 0) return ranOut(limit)
  if (!fieldStarts(bytes, pos + 1, limit, 'destination port')) return ranOut(pos + 1)
  pos = port(bytes, pos + 1, limit, true, ports)
  if (pos < 0) return ranOut(limit)
  const length = lineEnd(bytes, pos)
  if (length < 0) return INCOMPLETE

  const family = v6 ? 'IPv6' : 'IPv4'
  const source: ProxyAddress = { address: addresses[0] as string, port: ports[0] as number, family }
  const destination: ProxyAddress = { address: addresses[1] as string, port: ports[1] as number, family }
  return {
    status: 'done',
    header: { version: 1, command: 'PROXY', transport: 'TCP', source, destination, tlvs: { raw: [] } },
    length,
  }
}
