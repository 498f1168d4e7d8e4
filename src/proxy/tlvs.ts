/**
 * The TLVs (type, 16-bit length, value) after a v2 header's address block, and the sub-TLVs inside the
 * SSL TLV (doc/proxy-protocol.txt, section 2.2). `TlvCursor` checks them as their bytes arrive, each
 * byte once: every TLV must end within the header (every sub-TLV within its SSL TLV), registered types
 * have their lengths and appear once, strings are UTF-8 or US-ASCII as the spec says. `decodeTlvs`
 * then reads a whole, checked, TLV area.
 *
 * @module
 */

import { reject } from './parse-result.js'
import type { ProxySslInfo, ProxyTlvs } from './types.js'
import { Utf8Check, utf8Decoder } from './utf8-check.js'

export const PP2_TYPE_ALPN = 0x01
export const PP2_TYPE_AUTHORITY = 0x02
export const PP2_TYPE_CRC32C = 0x03
export const PP2_TYPE_NOOP = 0x04
export const PP2_TYPE_UNIQUE_ID = 0x05
export const PP2_TYPE_SSL = 0x20
export const PP2_SUBTYPE_SSL_VERSION = 0x21
export const PP2_SUBTYPE_SSL_CN = 0x22
export const PP2_SUBTYPE_SSL_CIPHER = 0x23
export const PP2_SUBTYPE_SSL_SIG_ALG = 0x24
export const PP2_SUBTYPE_SSL_KEY_ALG = 0x25
export const PP2_TYPE_NETNS = 0x30

/** Type and length bytes before each value. */
export const TLV_HEADER_LENGTH = 3
/** The SSL TLV's fixed part: `client` (1 byte) and `verify` (4 bytes), before its sub-TLVs. */
const SSL_FIXED_LENGTH = 5
/** The longest UNIQUE_ID value the spec allows. */
export const MAX_UNIQUE_ID_LENGTH = 128

/** Registered types that may appear once; NOOP and unregistered types may repeat. */
const SINGLE_TYPES = new Set([
  PP2_TYPE_ALPN,
  PP2_TYPE_AUTHORITY,
  PP2_TYPE_CRC32C,
  PP2_TYPE_UNIQUE_ID,
  PP2_TYPE_SSL,
  PP2_TYPE_NETNS,
])
const SINGLE_SUBTYPES = new Set([
  PP2_SUBTYPE_SSL_VERSION,
  PP2_SUBTYPE_SSL_CN,
  PP2_SUBTYPE_SSL_CIPHER,
  PP2_SUBTYPE_SSL_SIG_ALG,
  PP2_SUBTYPE_SSL_KEY_ALG,
])

const UTF8 = 1
const ASCII = 2
/** The string (sub-)types and their encodings; the spec says which. */
const TEXT_TYPES = new Map([
  [PP2_TYPE_AUTHORITY, UTF8],
  [PP2_TYPE_NETNS, ASCII],
])
const TEXT_SUBTYPES = new Map([
  [PP2_SUBTYPE_SSL_VERSION, ASCII],
  [PP2_SUBTYPE_SSL_CN, UTF8],
  [PP2_SUBTYPE_SSL_CIPHER, ASCII],
  [PP2_SUBTYPE_SSL_SIG_ALG, ASCII],
  [PP2_SUBTYPE_SSL_KEY_ALG, ASCII],
])

const NAMES: Record<number, string> = {
  [PP2_TYPE_ALPN]: 'ALPN',
  [PP2_TYPE_AUTHORITY]: 'AUTHORITY',
  [PP2_TYPE_CRC32C]: 'CRC32C',
  [PP2_TYPE_NOOP]: 'NOOP',
  [PP2_TYPE_UNIQUE_ID]: 'UNIQUE_ID',
  [PP2_TYPE_SSL]: 'SSL',
  [PP2_TYPE_NETNS]: 'NETNS',
}
const SUBNAMES: Record<number, string> = {
  [PP2_SUBTYPE_SSL_VERSION]: 'SSL_VERSION',
  [PP2_SUBTYPE_SSL_CN]: 'SSL_CN',
  [PP2_SUBTYPE_SSL_CIPHER]: 'SSL_CIPHER',
  [PP2_SUBTYPE_SSL_SIG_ALG]: 'SSL_SIG_ALG',
  [PP2_SUBTYPE_SSL_KEY_ALG]: 'SSL_KEY_ALG',
}

function nameOf(type: number, sub: boolean): string {
  const hex = `0x${type.toString(16).padStart(2, '0')}`
  const name = (sub ? SUBNAMES : NAMES)[type]
  return name === undefined
    ? `${sub ? 'SSL sub-TLV' : 'TLV'} ${hex}`
    : `${name} ${sub ? 'sub-TLV' : 'TLV'} (${hex})`
}

const readLength = (bytes: Uint8Array, offset: number): number =>
  ((bytes[offset + 1] as number) << 8) | (bytes[offset + 2] as number)

function readUint32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 0x100_0000 +
    (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))
  )
}

/**
 * Checks the TLVs of `bytes[start, end)` as they arrive: `advance` goes as far as the bytes given
 * allow and remembers where it stopped, so a header fed in pieces is checked in time linear in its
 * length. Throws at the first byte that proves the TLVs invalid.
 */
export class TlvCursor {
  /** Start of the next top-level TLV. */
  private offset: number
  private readonly seen = new Set<number>()
  /** Inside an SSL TLV: start of its next sub-TLV and its end; -1 outside. */
  private subOffset = -1
  private subEnd = 0
  private readonly subSeen = new Set<number>()
  /** A string value being checked: its encoding (0 when none), next byte, end, name, UTF-8 state. */
  private text = 0
  private textAt = 0
  private textEnd = 0
  private textName = ''
  private utf8 = new Utf8Check()

  /** Offset of the CRC32C TLV's value, or -1 while none was seen. */
  crcAt = -1

  constructor(
    start: number,
    private readonly end: number,
  ) {
    this.offset = start
  }

  /**
   * Checks what `bytes[0, available)` adds (`available` at most the header's end).
   * @throws {ProxyProtocolError} TLV_OVERRUN, TLV_BAD_LENGTH, TLV_DUPLICATE, TLV_BAD_VALUE
   */
  advance(bytes: Uint8Array, available: number): void {
    for (;;) {
      if (this.text !== 0 && !this.checkText(bytes, available)) return
      if (this.subOffset >= 0) {
        if (this.subOffset < this.subEnd) {
          const at = this.subOffset
          const type = this.head(bytes, at, this.subEnd, available, this.subSeen, true)
          if (type < 0) return
          const valueEnd = at + TLV_HEADER_LENGTH + readLength(bytes, at)
          this.subOffset = valueEnd
          this.startText(TEXT_SUBTYPES.get(type), at + TLV_HEADER_LENGTH, valueEnd, nameOf(type, true))
          continue
        }
        this.subOffset = -1
      }
      const at = this.offset
      if (at >= this.end) return
      const type = this.head(bytes, at, this.end, available, this.seen, false)
      if (type < 0) return
      const length = readLength(bytes, at)
      const valueStart = at + TLV_HEADER_LENGTH
      const name = nameOf(type, false)
      if (type === PP2_TYPE_CRC32C) {
        if (length !== 4) reject('TLV_BAD_LENGTH', `${name} of ${length} bytes, not 4`, at + 2)
        this.crcAt = valueStart
      } else if (type === PP2_TYPE_UNIQUE_ID && length > MAX_UNIQUE_ID_LENGTH) {
        reject('TLV_BAD_LENGTH', `${name} of ${length} bytes, more than ${MAX_UNIQUE_ID_LENGTH}`, at + 2)
      } else if (type === PP2_TYPE_SSL) {
        if (length < SSL_FIXED_LENGTH) {
          reject('TLV_BAD_LENGTH', `${name} of ${length} bytes, less than ${SSL_FIXED_LENGTH}`, at + 2)
        }
        this.subOffset = valueStart + SSL_FIXED_LENGTH
        this.subEnd = valueStart + length
      }
      this.offset = valueStart + length
      this.startText(TEXT_TYPES.get(type), valueStart, valueStart + length, name)
    }
  }

  /**
   * Checks, as far as its bytes have arrived, that a (sub-)TLV can start at `at`, that it is not a
   * second one of a single-use type, and that its length keeps it within `end`. Returns its type, or
   * -1 when its type and length have not all arrived.
   */
  private head(
    bytes: Uint8Array,
    at: number,
    end: number,
    available: number,
    seen: Set<number>,
    sub: boolean,
  ): number {
    const within = sub ? 'the SSL TLV' : 'the header'
    if (end - at < TLV_HEADER_LENGTH) {
      reject('TLV_OVERRUN', `${end - at} byte(s) left in ${within}, too few for a TLV`, at)
    }
    if (at >= available) return -1
    const type = bytes[at] as number
    if (seen.has(type)) reject('TLV_DUPLICATE', `a second ${nameOf(type, sub)} in ${within}`, at)
    if (at + TLV_HEADER_LENGTH > available) return -1
    const length = readLength(bytes, at)
    const over = at + TLV_HEADER_LENGTH + length - end
    if (over > 0)
      reject('TLV_OVERRUN', `${nameOf(type, sub)} of ${length} bytes overruns ${within} by ${over}`, at + 2)
    if ((sub ? SINGLE_SUBTYPES : SINGLE_TYPES).has(type)) seen.add(type)
    return type
  }

  private startText(encoding: number | undefined, start: number, end: number, name: string): void {
    if (encoding === undefined || start === end) return
    this.text = encoding
    this.textAt = start
    this.textEnd = end
    this.textName = name
    if (encoding === UTF8) this.utf8 = new Utf8Check()
  }

  /** Checks the string's bytes that have arrived; returns whether it is all checked. */
  private checkText(bytes: Uint8Array, available: number): boolean {
    const stop = Math.min(available, this.textEnd)
    const end = this.textEnd
    for (let i = this.textAt; i < stop; i++) {
      const byte = bytes[i] as number
      if (this.text === ASCII ? byte > 0x7f : !this.utf8.push(byte, end - i - 1)) {
        reject('TLV_BAD_VALUE', `${this.textName} is not ${this.text === ASCII ? 'US-ASCII' : 'UTF-8'}`, i)
      }
    }
    this.textAt = stop
    if (stop < end) return false
    this.text = 0
    return true
  }
}

/**
 * Reads the TLVs of `bytes[start, end)`, which a `TlvCursor` has checked: every one into `raw` (values
 * are views of `bytes`), the registered ones decoded.
 */
export function decodeTlvs(bytes: Uint8Array, start: number, end: number): ProxyTlvs {
  const tlvs: ProxyTlvs = { raw: [] }
  for (let at = start; at < end; ) {
    const type = bytes[at] as number
    const valueStart = at + TLV_HEADER_LENGTH
    const valueEnd = valueStart + readLength(bytes, at)
    const value = bytes.subarray(valueStart, valueEnd)
    tlvs.raw.push({ type, value })
    switch (type) {
      case PP2_TYPE_ALPN:
        tlvs.alpn = value
        break
      case PP2_TYPE_AUTHORITY:
        tlvs.authority = utf8Decoder.decode(value)
        break
      case PP2_TYPE_CRC32C:
        tlvs.crc32c = readUint32(bytes, valueStart)
        break
      case PP2_TYPE_UNIQUE_ID:
        tlvs.uniqueId = value
        break
      case PP2_TYPE_SSL:
        tlvs.ssl = decodeSsl(bytes, valueStart, valueEnd)
        break
      case PP2_TYPE_NETNS:
        tlvs.netns = utf8Decoder.decode(value)
        break
    }
    at = valueEnd
  }
  return tlvs
}

function decodeSsl(bytes: Uint8Array, start: number, end: number): ProxySslInfo {
  const ssl: ProxySslInfo = { client: bytes[start] as number, verify: readUint32(bytes, start + 1) }
  for (let at = start + SSL_FIXED_LENGTH; at < end; ) {
    const valueStart = at + TLV_HEADER_LENGTH
    const valueEnd = valueStart + readLength(bytes, at)
    const text = (): string => utf8Decoder.decode(bytes.subarray(valueStart, valueEnd))
    switch (bytes[at]) {
      case PP2_SUBTYPE_SSL_VERSION:
        ssl.version = text()
        break
      case PP2_SUBTYPE_SSL_CN:
        ssl.cn = text()
        break
      case PP2_SUBTYPE_SSL_CIPHER:
        ssl.cipher = text()
        break
      case PP2_SUBTYPE_SSL_SIG_ALG:
        ssl.sigAlg = text()
        break
      case PP2_SUBTYPE_SSL_KEY_ALG:
        ssl.keyAlg = text()
        break
    }
    at = valueEnd
  }
  return ssl
}
