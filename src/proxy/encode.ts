/**
 * `encodeProxyHeader`: a PROXY protocol v1 line or v2 header from a description, checked as strictly
 * as `parseProxyHeader` checks what it reads, so whatever it writes parses back to the same header.
 *
 * @module
 */

import { ProxyProtocolError } from '../errors.js'
import { CRC32C_INIT, crc32cFinish, crc32cUpdate } from './crc32c.js'
import { formatIPv4, formatIPv6, scanIPv4, scanIPv6 } from './ip.js'
import {
  ADDRESS_BLOCK_LENGTH,
  COMMAND_LOCAL,
  COMMAND_PROXY,
  FAMILY_INET,
  FAMILY_INET6,
  FAMILY_UNIX,
  TRANSPORT_DGRAM,
  TRANSPORT_STREAM,
  UNIX_PATH_LENGTH,
  V2_FIXED_LENGTH,
  V2_MAX_LENGTH,
  V2_SIGNATURE,
} from './parse-v2.js'
import { PP2_TYPE_CRC32C, TLV_HEADER_LENGTH, TlvCursor } from './tlvs.js'
import type { ProxyHeaderInit, ProxyTlv } from './types.js'

/** An endpoint once checked: an IP address's bytes (4 or 16) and port, or a Unix path's UTF-8 bytes. */
type IpEndpoint = { family: 'IPv4' | 'IPv6'; bytes: Uint8Array; port: number }
type Endpoint = IpEndpoint | { family: 'Unix'; bytes: Uint8Array }

const utf8 = new TextEncoder()

/**
 * Writes a PROXY protocol header: a v1 line (`PROXY TCP4 …\r\n`, `PROXY TCP6 …\r\n` or
 * `PROXY UNKNOWN\r\n` without addresses) or a v2 binary header with its TLVs. Addresses are written
 * as `inet_ntop` would (so `2001:DB8:0::1` becomes `2001:db8::1`). A CRC32C TLV gets its checksum
 * computed. The caller's objects and bytes are not modified.
 *
 * @throws {TypeError | RangeError} for a field of the wrong type or value; the message names it
 *   (`version`, `command`, `transport`, `source.address`, `destination.port`, `tlvs[2].type`, …)
 */
export function encodeProxyHeader(header: ProxyHeaderInit): Uint8Array {
  if (typeof header !== 'object' || header === null) {
    throw new TypeError(
      `encodeProxyHeader() takes a header object, got ${header === null ? 'null' : typeof header}`,
    )
  }
  const { version, source, destination, transport } = header
  if (version !== 1 && version !== 2) {
    const message = `version must be 1 or 2, got ${String(version)}`
    throw typeof version === 'number' ? new RangeError(message) : new TypeError(message)
  }
  const command = header.command ?? 'PROXY'
  if (command !== 'PROXY' && command !== 'LOCAL') {
    throw new TypeError(`command must be 'PROXY' or 'LOCAL', got ${String(command)}`)
  }
  if (transport !== undefined && transport !== 'TCP' && transport !== 'UDP') {
    throw new TypeError(`transport must be 'TCP' or 'UDP', got ${String(transport)}`)
  }
  if ((source === undefined) !== (destination === undefined)) {
    const [given, missing] = source === undefined ? ['destination', 'source'] : ['source', 'destination']
    throw new TypeError(`${missing} must be given with ${given}`)
  }
  let endpoints: [Endpoint, Endpoint] | undefined
  if (source !== undefined) {
    const from = checkEndpoint(source, 'source')
    const to = checkEndpoint(destination, 'destination')
    if (from.family !== to.family) {
      throw new RangeError(`destination must be of source's family (${from.family}), got ${to.family}`)
    }
    endpoints = [from, to]
  }
  if (command === 'LOCAL') {
    if (version === 1) throw new RangeError('command LOCAL needs version 2')
    if (endpoints !== undefined)
      throw new RangeError('source and destination must be omitted for command LOCAL')
  }
  if (transport !== undefined && endpoints === undefined) {
    throw new RangeError('transport needs source and destination')
  }
  const tlvs = header.tlvs ?? []
  if (!Array.isArray(tlvs)) throw new TypeError('tlvs must be an array')
  if (version === 1) {
    if (transport === 'UDP') throw new RangeError('transport UDP needs version 2')
    if (tlvs.length > 0) throw new RangeError('tlvs need version 2')
    return encodeV1(endpoints)
  }
  return encodeV2(command === 'LOCAL' ? COMMAND_LOCAL : COMMAND_PROXY, transport, endpoints, tlvs)
}

function checkEndpoint(value: unknown, field: string): Endpoint {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${field} must be an object, got ${value === null ? 'null' : typeof value}`)
  }
  const endpoint = value as Record<string, unknown>
  if ('path' in endpoint) {
    const { path } = endpoint
    if (typeof path !== 'string') throw new TypeError(`${field}.path must be a string, got ${typeof path}`)
    const bytes = utf8.encode(path)
    if (bytes.length > UNIX_PATH_LENGTH) {
      throw new RangeError(`${field}.path is ${bytes.length} bytes in UTF-8, more than ${UNIX_PATH_LENGTH}`)
    }
    if (bytes.includes(0)) throw new RangeError(`${field}.path must not contain a NUL character`)
    return { family: 'Unix', bytes }
  }
  const { address, port, family } = endpoint
  if (family !== 'IPv4' && family !== 'IPv6') {
    throw new TypeError(`${field}.family must be 'IPv4' or 'IPv6', got ${String(family)}`)
  }
  if (typeof address !== 'string')
    throw new TypeError(`${field}.address must be a string, got ${typeof address}`)
  const codes = new Uint8Array(address.length)
  for (let i = 0; i < address.length; i++) codes[i] = Math.min(address.charCodeAt(i), 0xff)
  const scan = family === 'IPv4' ? scanIPv4(codes, 0, codes.length) : scanIPv6(codes, 0, codes.length)
  if (scan.value === undefined || scan.stop !== codes.length) {
    throw new RangeError(`${field}.address is not an ${family} address: ${JSON.stringify(address)}`)
  }
  if (typeof port !== 'number') throw new TypeError(`${field}.port must be a number, got ${typeof port}`)
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new RangeError(`${field}.port must be an integer from 0 to 65535, got ${port}`)
  }
  return { family, bytes: scan.value, port }
}

function format(endpoint: IpEndpoint): string {
  return endpoint.family === 'IPv4' ? formatIPv4(endpoint.bytes, 0) : formatIPv6(endpoint.bytes, 0)
}

function encodeV1(endpoints: [Endpoint, Endpoint] | undefined): Uint8Array {
  let line = 'PROXY UNKNOWN\r\n'
  if (endpoints !== undefined) {
    const [from, to] = endpoints
    if (from.family === 'Unix' || to.family === 'Unix') {
      throw new RangeError('source: Unix paths need version 2')
    }
    const protocol = from.family === 'IPv4' ? 'TCP4' : 'TCP6'
    line = `PROXY ${protocol} ${format(from)} ${format(to)} ${from.port} ${to.port}\r\n`
  }
  // ASCII only, at most 104 bytes: addresses come out of formatIPv4/formatIPv6.
  const out = new Uint8Array(line.length)
  for (let i = 0; i < line.length; i++) out[i] = line.charCodeAt(i)
  return out
}

function encodeV2(
  command: number,
  transport: 'TCP' | 'UDP' | undefined,
  endpoints: [Endpoint, Endpoint] | undefined,
  tlvs: readonly ProxyTlv[],
): Uint8Array {
  let family = 0
  if (endpoints !== undefined) {
    const codes = { IPv4: FAMILY_INET, IPv6: FAMILY_INET6, Unix: FAMILY_UNIX }
    family = codes[endpoints[0].family]
  }
  const block = ADDRESS_BLOCK_LENGTH[family] as number
  let length = block
  for (let i = 0; i < tlvs.length; i++) {
    const tlv = tlvs[i] as unknown
    if (typeof tlv !== 'object' || tlv === null) throw new TypeError(`tlvs[${i}] must be an object`)
    const { type, value } = tlv as Record<string, unknown>
    if (typeof type !== 'number') throw new TypeError(`tlvs[${i}].type must be a number, got ${typeof type}`)
    if (!Number.isInteger(type) || type < 0 || type > 0xff) {
      throw new RangeError(`tlvs[${i}].type must be an integer from 0 to 255, got ${type}`)
    }
    if (!(value instanceof Uint8Array)) throw new TypeError(`tlvs[${i}].value must be a Uint8Array`)
    if (value.length > 0xffff) {
      throw new RangeError(`tlvs[${i}].value is ${value.length} bytes, more than 65535`)
    }
    length += TLV_HEADER_LENGTH + value.length
  }
  if (V2_FIXED_LENGTH + length > V2_MAX_LENGTH) {
    throw new RangeError(
      `tlvs make the header ${V2_FIXED_LENGTH + length} bytes, more than ${V2_MAX_LENGTH} (16 + a 16-bit length)`,
    )
  }

  const out = new Uint8Array(V2_FIXED_LENGTH + length)
  out.set(V2_SIGNATURE)
  out[12] = 0x20 | command
  out[14] = length >> 8
  out[15] = length & 0xff
  if (endpoints !== undefined) {
    out[13] = (family << 4) | (transport === 'UDP' ? TRANSPORT_DGRAM : TRANSPORT_STREAM)
    writeEndpoint(out, endpoints[0], 0)
    writeEndpoint(out, endpoints[1], 1)
  }

  // Each TLV is checked as the parser checks it, once written.
  let offset = V2_FIXED_LENGTH + block
  const cursor = new TlvCursor(offset, out.length)
  for (let i = 0; i < tlvs.length; i++) {
    const { type, value } = tlvs[i] as ProxyTlv
    out[offset] = type
    out[offset + 1] = value.length >> 8
    out[offset + 2] = value.length & 0xff
    offset += TLV_HEADER_LENGTH
    // The checksum is computed over the header with its field zeroed, which is how it is left here.
    if (type !== PP2_TYPE_CRC32C) out.set(value, offset)
    offset += value.length
    try {
      cursor.advance(out, offset)
    } catch (err) {
      if (!(err instanceof ProxyProtocolError)) throw err
      throw new RangeError(`tlvs[${i}] (type ${type}) cannot be sent: ${err.message}`, { cause: err })
    }
  }
  const crcAt = cursor.crcAt
  if (crcAt >= 0) {
    const crc = crc32cFinish(crc32cUpdate(CRC32C_INIT, out))
    out[crcAt] = crc >>> 24
    out[crcAt + 1] = (crc >>> 16) & 0xff
    out[crcAt + 2] = (crc >>> 8) & 0xff
    out[crcAt + 3] = crc & 0xff
  }
  return out
}

/** Writes the source (`index` 0) or destination (1) into the address block. */
function writeEndpoint(out: Uint8Array, endpoint: Endpoint, index: number): void {
  const at = V2_FIXED_LENGTH
  if (endpoint.family === 'Unix') {
    out.set(endpoint.bytes, at + index * UNIX_PATH_LENGTH) // the rest stays NUL
    return
  }
  const size = endpoint.bytes.length
  out.set(endpoint.bytes, at + index * size)
  out[at + 2 * size + index * 2] = endpoint.port >> 8
  out[at + 2 * size + index * 2 + 1] = endpoint.port & 0xff
}
