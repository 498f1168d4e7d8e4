/**
 * The PROXY protocol v2 binary header (HAProxy's doc/proxy-protocol.txt, section 2.2): the 12-byte
 * signature, version 2 and a command (LOCAL or PROXY), a family and transport, a big-endian 16-bit
 * length, the address block, then TLVs up to that length. Every byte is checked once, as it arrives;
 * only the CRC32C, which covers the whole header, waits for all of it.
 *
 * @module
 */

import { CRC32C_INIT, crc32cFinish, crc32cUpdate, crc32cZeros } from './crc32c.js'
import { formatIPv4, formatIPv6 } from './ip.js'
import { INCOMPLETE, reject } from './parse-result.js'
import { decodeTlvs, TlvCursor } from './tlvs.js'
import type { ProxyAddress, ProxyHeader, ProxyParseResult } from './types.js'
import { Utf8Check, utf8Decoder } from './utf8-check.js'

/** `\r\n\r\n\0\r\nQUIT\n` */
export const V2_SIGNATURE: readonly number[] = [
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]
/** Signature, version and command, family and transport, length. */
export const V2_FIXED_LENGTH = 16
/** The longest v2 header: the fixed part and the most its 16-bit length can announce. */
export const V2_MAX_LENGTH = V2_FIXED_LENGTH + 0xffff

export const COMMAND_LOCAL = 0x0
export const COMMAND_PROXY = 0x1
export const FAMILY_UNSPEC = 0x0
export const FAMILY_INET = 0x1
export const FAMILY_INET6 = 0x2
export const FAMILY_UNIX = 0x3
export const TRANSPORT_UNSPEC = 0x0
export const TRANSPORT_STREAM = 0x1
export const TRANSPORT_DGRAM = 0x2

/** Bytes of a Unix socket path in the address block (`sun_path`), NUL-padded. */
export const UNIX_PATH_LENGTH = 108
/** The address block's size per family: none, 2 × 4 + 2 × 2, 2 × 16 + 2 × 2, 2 × 108. */
export const ADDRESS_BLOCK_LENGTH: readonly number[] = [0, 12, 36, 2 * UNIX_PATH_LENGTH]

const FAMILY_NAMES = ['AF_UNSPEC', 'AF_INET', 'AF_INET6', 'AF_UNIX']

/**
 * Parses a v2 header from the start of the bytes it is given (whose first byte is `\r`). Give `parse`
 * every byte received so far, each time: it returns `incomplete` while they are a valid beginning and
 * throws `ProxyProtocolError` at the first byte that proves them invalid. It remembers how far it has
 * checked, so a header fed in many pieces costs time linear in its length.
 */
export class V2Parser {
  private tlvs: TlvCursor | undefined
  /** Unix paths being checked (PROXY over AF_UNIX only): the next byte of each, -1 once it ended. */
  private readonly pathAt = [V2_FIXED_LENGTH, V2_FIXED_LENGTH + UNIX_PATH_LENGTH]
  private readonly pathUtf8 = [new Utf8Check(), new Utf8Check()]

  parse(bytes: Uint8Array): ProxyParseResult {
    const n = bytes.length
    for (let i = 0; i < V2_SIGNATURE.length; i++) {
      if (i >= n) return INCOMPLETE
      if (bytes[i] !== V2_SIGNATURE[i]) {
        reject('BAD_SIGNATURE', 'not the v2 signature \\r\\n\\r\\n\\0\\r\\nQUIT\\n', i)
      }
    }
    if (n <= 12) return INCOMPLETE
    const versionCommand = bytes[12] as number
    if (versionCommand >> 4 !== 2) reject('V2_BAD_VERSION', `version ${versionCommand >> 4}, not 2`, 12)
    const command = versionCommand & 0xf
    if (command > COMMAND_PROXY)
      reject('V2_BAD_COMMAND', `command ${command}, not 0 (LOCAL) or 1 (PROXY)`, 12)
    if (n <= 13) return INCOMPLETE
    const familyTransport = bytes[13] as number
    const family = familyTransport >> 4
    const transport = familyTransport & 0xf
    if (family > FAMILY_UNIX) reject('V2_BAD_FAMILY', `address family ${family}, not 0 to 3`, 13)
    if (transport > TRANSPORT_DGRAM) reject('V2_BAD_TRANSPORT', `transport ${transport}, not 0 to 2`, 13)
    if (n < V2_FIXED_LENGTH) return INCOMPLETE
    const length = ((bytes[14] as number) << 8) | (bytes[15] as number)
    const block = ADDRESS_BLOCK_LENGTH[family] as number
    if (length < block) {
      const familyName = FAMILY_NAMES[family]
      reject(
        'V2_LENGTH_TOO_SHORT',
        `length ${length}, less than the ${block}-byte ${familyName} address block`,
        15,
      )
    }
    const end = V2_FIXED_LENGTH + length
    const available = Math.min(n, end)
    // LOCAL: "the receiver must ... discard the protocol block including the family". UNSPEC family or
    // transport: "the receiver should ignore address information". Otherwise the addresses count.
    const addresses = command === COMMAND_PROXY && transport !== TRANSPORT_UNSPEC && family !== FAMILY_UNSPEC
    if (addresses && family === FAMILY_UNIX) this.checkPaths(bytes, available)
    if (this.tlvs === undefined) this.tlvs = new TlvCursor(V2_FIXED_LENGTH + block, end)
    this.tlvs.advance(bytes, available)
    if (n < end) return INCOMPLETE

    const tlvs = decodeTlvs(bytes, V2_FIXED_LENGTH + block, end)
    const crcAt = this.tlvs.crcAt
    if (crcAt >= 0) {
      let crc = crc32cUpdate(CRC32C_INIT, bytes, 0, crcAt)
      crc = crc32cZeros(crc, 4)
      crc = crc32cFinish(crc32cUpdate(crc, bytes, crcAt + 4, end))
      if (crc !== tlvs.crc32c) {
        const sent = hex32(tlvs.crc32c as number)
        reject('CRC32C_MISMATCH', `CRC32C 0x${sent} in the header, 0x${hex32(crc)} computed`, end - 1)
      }
    }

    let header: ProxyHeader
    if (command === COMMAND_LOCAL) {
      header = { version: 2, command: 'LOCAL', tlvs }
    } else if (transport === TRANSPORT_UNSPEC) {
      header = { version: 2, command: 'PROXY', tlvs }
    } else if (!addresses) {
      header = {
        version: 2,
        command: 'PROXY',
        transport: transport === TRANSPORT_STREAM ? 'TCP' : 'UDP',
        tlvs,
      }
    } else {
      header = {
        version: 2,
        command: 'PROXY',
        transport: transport === TRANSPORT_STREAM ? 'TCP' : 'UDP',
        source: readAddress(bytes, family, 0),
        destination: readAddress(bytes, family, 1),
        tlvs,
      }
    }
    return { status: 'done', header, length: end }
  }

  /** Checks the Unix paths' bytes that have arrived: UTF-8 up to the first NUL, if any. */
  private checkPaths(bytes: Uint8Array, available: number): void {
    for (let index = 0; index < 2; index++) {
      const start = V2_FIXED_LENGTH + index * UNIX_PATH_LENGTH
      const end = start + UNIX_PATH_LENGTH
      let i = this.pathAt[index] as number
      if (i < 0) continue
      const utf8 = this.pathUtf8[index] as Utf8Check
      const stop = Math.min(available, end)
      for (; i < stop; i++) {
        const byte = bytes[i] as number
        if (byte === 0 ? !utf8.complete : !utf8.push(byte, end - i - 1)) {
          reject('V2_BAD_ADDRESS', `the ${index === 0 ? 'source' : 'destination'} path is not UTF-8`, i)
        }
        if (byte === 0) break
      }
      // Stopped at the NUL, or at the end of the path: checked. Else at the end of the bytes so far.
      this.pathAt[index] = i < stop || i === end ? -1 : i
    }
  }
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0')
}

/** The source (`index` 0) or destination (1) of the address block. */
function readAddress(bytes: Uint8Array, family: number, index: number): ProxyAddress {
  const at = V2_FIXED_LENGTH
  if (family === FAMILY_INET) {
    return {
      address: formatIPv4(bytes, at + index * 4),
      port: readPort(bytes, at + 8 + index * 2),
      family: 'IPv4',
    }
  }
  if (family === FAMILY_INET6) {
    return {
      address: formatIPv6(bytes, at + index * 16),
      port: readPort(bytes, at + 32 + index * 2),
      family: 'IPv6',
    }
  }
  const start = at + index * UNIX_PATH_LENGTH
  let stop = start
  while (stop < start + UNIX_PATH_LENGTH && bytes[stop] !== 0) stop++
  return { path: utf8Decoder.decode(bytes.subarray(start, stop)) }
}

function readPort(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
}
