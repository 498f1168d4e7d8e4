/**
 * Framings of real protocols, each a `lengthField()` configuration: `postgres()`, `mysql()`,
 * `mqtt()`, `kafka()`, `dnsTcp()`. docs/FRAMING.md tabulates each header with the document it
 * comes from.
 *
 * @module
 */

import type { ByteCodec } from './codec.js'
import { lengthFieldCodec } from './length-field.js'

/** Options of the protocol presets: `maxLength` as `lengthField()`'s. */
export interface PresetOptions {
  /**
   * Largest message, in bytes, as decoded and encoded (for `kafka()` and `dnsTcp()` the payload
   * without its size prefix; for the others the whole packet, header included).
   * @default MAX_FRAME_LENGTH (1 MiB)
   */
  maxLength?: number
}

/** Options of `postgres()`. */
export interface PostgresOptions extends PresetOptions {
  /**
   * Frame the untyped messages a client sends first (StartupMessage, SSLRequest, GSSENCRequest,
   * CancelRequest: an int32 length counting itself, no type byte), for the server side of a
   * connection's start. Switch to `postgres()` with `framed().unwrap()` once the StartupMessage is read.
   * @default false
   */
  startup?: boolean
}

/**
 * PostgreSQL's frontend/backend protocol (v3): a type byte, then an int32 big-endian length that
 * counts itself but not the type byte (`lengthField({ offset: 1, length: 4, adjust: -4 })`). A
 * message is the whole packet, type byte and length included: `Z 00 00 00 05 I` is ReadyForQuery.
 * `encode` writes the length; leave it zero. `{ startup: true }` frames the untyped first messages
 * instead (`lengthField({ length: 4, adjust: -4 })`).
 *
 * The server's answer to SSLRequest is one unframed byte, `S` or `N`: read it with
 * `framed(conn, fixed(1)).read()`, then go on with `framed(that.unwrap(), postgres())`.
 */
export function postgres(options: PostgresOptions = {}): ByteCodec {
  const startup = options.startup ?? false
  if (typeof startup !== 'boolean') throw new TypeError(`startup must be a boolean, got ${typeof startup}`)
  return startup
    ? lengthFieldCodec({ length: 4, adjust: -4, maxLength: options.maxLength }, 'postgres()')
    : lengthFieldCodec({ offset: 1, length: 4, adjust: -4, maxLength: options.maxLength }, 'postgres()')
}

/**
 * MySQL's client/server packets: a 3-byte little-endian payload length, a sequence id byte, then the
 * payload (`lengthField({ length: 3, endian: 'little', adjust: 1 })`: the sequence byte follows
 * the field but is not counted). A message is the whole packet; `encode` writes the length, the
 * caller the sequence id (byte 3). A payload of 16 MiB - 1 or more is split by MySQL into several
 * packets; each is a message here.
 */
export function mysql(options: PresetOptions = {}): ByteCodec {
  return lengthFieldCodec({ length: 3, endian: 'little', adjust: 1, maxLength: options.maxLength }, 'mysql()')
}

/**
 * MQTT (3.1.1 and 5.0) control packets: a fixed-header byte (type and flags), then the Remaining
 * Length as a Variable Byte Integer of 1 to 4 bytes (least significant 7 bits first, as LEB128; at
 * most 268,435,455), counting the bytes after it (`lengthField({ offset: 1, length: 'varint',
 * varintBytes: 4 })`). A message is the whole packet: `C0 00` is PINGREQ. To encode, give the
 * Remaining Length as one zero byte (or any value: it is rewritten unless already right).
 */
export function mqtt(options: PresetOptions = {}): ByteCodec {
  return lengthFieldCodec(
    { offset: 1, length: 'varint', varintBytes: 4, maxLength: options.maxLength },
    'mqtt()',
  )
}

/**
 * Kafka's wire protocol: each request and response is preceded by its size, an int32 big-endian
 * that does not count itself. A message is the request or response without the size (this is
 * `lengthPrefixed({ lengthEncoding: 'uint32be' })`).
 */
export function kafka(options: PresetOptions = {}): ByteCodec {
  return lengthFieldCodec({ length: 4, strip: 4, maxLength: options.maxLength }, 'kafka()')
}

/**
 * DNS over TCP (RFC 1035 §4.2.2, RFC 7766 §8): each DNS message is preceded by its length, a
 * uint16 big-endian that does not count itself, so a message is at most 65,535 bytes. A message is
 * the DNS message without the length (this is `lengthPrefixed({ lengthEncoding: 'uint16be' })`).
 */
export function dnsTcp(options: PresetOptions = {}): ByteCodec {
  return lengthFieldCodec({ length: 2, strip: 2, maxLength: options.maxLength }, 'dnsTcp()')
}
