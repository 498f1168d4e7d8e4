/**
 * PROXY protocol headers, versions 1 and 2 (HAProxy's doc/proxy-protocol.txt): what a proxy such as
 * HAProxy, nginx, Envoy or a cloud load balancer sends first on a relayed connection to say whom it
 * relays. `ProxyHeaderParser` and `parseProxyHeader` read one strictly and incrementally,
 * `encodeProxyHeader` writes one.
 *
 * @module
 */

import { INCOMPLETE, reject } from './parse-result.js'
import { describeByte, parseV1 } from './parse-v1.js'
import { V2Parser } from './parse-v2.js'
import type { ProxyParseResult } from './types.js'

export { encodeProxyHeader } from './encode.js'
export type {
  ProxyAddress,
  ProxyHeader,
  ProxyHeaderInit,
  ProxyParseResult,
  ProxySslInfo,
  ProxyTlv,
  ProxyTlvs,
} from './types.js'

const BOTH_VERSIONS: ReadonlyArray<1 | 2> = Object.freeze([1, 2] as const)

/**
 * Reads the PROXY protocol header at the start of one connection. Call `parse` with every byte
 * received so far, from the first, each time more arrive: it returns `incomplete` while they are a
 * valid beginning of a header, and `done` with the header and its `length` once it is whole (the
 * connection's own data starts at `bytes[length]`).
 *
 * Strict: throws `ProxyProtocolError` at the first byte that no valid header could have there, without
 * waiting for more; only a CRC32C mismatch waits for the end of the header it covers. The parser
 * remembers how far it has checked a v2 header, so feeding one in any number of pieces costs time
 * linear in its length (`parseProxyHeader`, which starts afresh each call, costs that per call). TLV
 * values in the result (`alpn`, `uniqueId`, `raw`) are views of the bytes given, not copies.
 */
export class ProxyHeaderParser {
  private readonly v1: boolean
  private readonly v2: boolean
  private v2Parser: V2Parser | undefined
  private received = 0
  /** The error thrown once: every later call throws it again. */
  private failure: unknown

  /**
   * @param versions the versions accepted; another one fails with reason `VERSION_NOT_ALLOWED` at its
   *   first byte. Default both.
   * @throws {TypeError | RangeError} for bad `versions`
   */
  constructor(versions: ReadonlyArray<1 | 2> = BOTH_VERSIONS) {
    if (versions === BOTH_VERSIONS) {
      this.v1 = true
      this.v2 = true
      return
    }
    if (!Array.isArray(versions)) throw new TypeError('versions must be an array of 1 and/or 2')
    if (versions.length === 0) throw new RangeError('versions must not be empty')
    for (const v of versions) {
      if (v !== 1 && v !== 2) throw new RangeError(`versions may hold only 1 and 2, got ${String(v)}`)
    }
    this.v1 = versions.includes(1)
    this.v2 = versions.includes(2)
  }

  /**
   * @param bytes every byte of the connection so far: the bytes of the previous call, and more
   * @throws {TypeError | RangeError} for `bytes` that is not a `Uint8Array`, or shorter than last time
   * @throws {ProxyProtocolError} for bytes that are not a valid header; its `reason` says why
   *   (`BAD_SIGNATURE`, `V1_BAD_PORT`, `V2_BAD_COMMAND`, `TLV_OVERRUN`, `CRC32C_MISMATCH`, …). Once
   *   it has thrown it, every later call throws the same error.
   */
  parse(bytes: Uint8Array): ProxyParseResult {
    if (this.failure !== undefined) throw this.failure
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`parse() takes a Uint8Array, got ${typeof bytes}`)
    }
    if (bytes.length < this.received) {
      throw new RangeError(
        `parse() takes every byte received so far: got ${bytes.length}, fewer than the ${this.received} before`,
      )
    }
    this.received = bytes.length
    try {
      return this.parseFromStart(bytes)
    } catch (err) {
      this.failure = err
      throw err
    }
  }

  private parseFromStart(bytes: Uint8Array): ProxyParseResult {
    if (bytes.length === 0) return INCOMPLETE
    const first = bytes[0] as number
    if (first === 0x50) {
      if (!this.v1) reject('VERSION_NOT_ALLOWED', 'a v1 header ("P"), but only version 2 is accepted', 0)
      return parseV1(bytes)
    }
    if (first === 0x0d) {
      if (!this.v2) reject('VERSION_NOT_ALLOWED', 'a v2 header (0x0d), but only version 1 is accepted', 0)
      if (this.v2Parser === undefined) this.v2Parser = new V2Parser()
      return this.v2Parser.parse(bytes)
    }
    const expected =
      this.v1 && this.v2
        ? '"PROXY " (v1) or the v2 signature'
        : this.v1
          ? '"PROXY " (v1)'
          : 'the v2 signature'
    return reject('BAD_SIGNATURE', `expected ${expected}, got ${describeByte(first)}`, 0)
  }
}

/**
 * Parses the PROXY protocol header at the start of a connection: `new ProxyHeaderParser(versions)
 * .parse(bytes)`. Pass every byte received so far, from the first; see `ProxyHeaderParser`. Each call
 * parses from the start: a v1 line is at most 107 bytes, but a v2 header may be 65,551, so to feed
 * one in many pieces keep a `ProxyHeaderParser`.
 *
 * @throws {TypeError | RangeError} for `bytes` that is not a `Uint8Array`, or bad `versions`
 * @throws {ProxyProtocolError} for bytes that are not a valid header; its `reason` says why
 */
export function parseProxyHeader(
  bytes: Uint8Array,
  versions: ReadonlyArray<1 | 2> = BOTH_VERSIONS,
): ProxyParseResult {
  return new ProxyHeaderParser(versions).parse(bytes)
}
