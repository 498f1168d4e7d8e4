import { Uint8ArrayList } from 'uint8arraylist'
import { FrameTooLongError, InvalidFrameError, UnexpectedEndError } from '../errors.js'
import { MAX_FRAME_LENGTH } from '../limits.js'
import { allocate, COPY_THRESHOLD, EMPTY_BYTES, uninitialized } from './buffers.js'
import { checkBytes, checkInteger, checkMaxLength } from './checks.js'
import type { ByteCodec, FrameDecoder } from './codec.js'
import { defineCodec } from './define-codec.js'
import { type LengthEncoding, prefixCodec } from './length-prefixed.js'

/** Width of a length field in bytes, or `'varint'`: an unsigned LEB128 varint (MQTT's "Variable Byte Integer"). */
export type LengthFieldWidth = 1 | 2 | 3 | 4 | 8 | 'varint'

/** Options of `lengthField()`, with the meanings of Netty's `LengthFieldBasedFrameDecoder`. */
export interface LengthFieldOptions {
  /**
   * Bytes before the length field (Netty's `lengthFieldOffset`), such as a type byte. At most 65,535.
   * @default 0
   */
  offset?: number
  /** Width of the length field in bytes (Netty's `lengthFieldLength`), or `'varint'`. */
  length: LengthFieldWidth
  /**
   * Byte order of a fixed-width field of 2 bytes or more; a varint is always least significant group
   * first.
   * @default 'big'
   */
  endian?: 'big' | 'little'
  /**
   * Added to the field's value to get the bytes that follow the field (Netty's `lengthAdjustment`):
   * a frame on the wire is `offset` + field + value + `adjust` bytes. `-4` when a 4-byte field counts
   * itself (PostgreSQL), `+1` when a byte after the field is not counted (MySQL's sequence id).
   * @default 0
   */
  adjust?: number
  /**
   * Bytes removed from the front of each decoded frame (Netty's `initialBytesToStrip`) and written
   * back by `encode`: 0 (messages are whole frames, header included) or `offset` + `length` (messages
   * are what follows the header; fixed-width fields only). Other values are refused with `TypeError`,
   * since `encode` could not rebuild what they remove.
   * @default 0
   */
  strip?: number
  /**
   * The `offset` bytes `encode` writes before the length field when `strip` removes the header.
   * Only with `strip` equal to `offset` + `length`.
   * @default zeros
   */
  leading?: Uint8Array
  /**
   * Most bytes a `'varint'` field may take, 1 to 10 (MQTT's takes at most 4). A varint not ended by
   * then is `InvalidFrameError`; `encode` refuses a length that needs more.
   * @default 10
   */
  varintBytes?: number
  /**
   * Largest message, in bytes: the frame less the `strip`ped bytes, as `decode` yields and `encode`
   * takes it. A length field announcing more fails with `FrameTooLongError` before any byte after the
   * header is buffered; a decoder holds at most the header and `maxLength` bytes. At most 4 GiB - 1.
   * @default MAX_FRAME_LENGTH (1 MiB)
   */
  maxLength?: number
}

/** The largest `offset`: a decoder keeps that many header bytes per connection. */
const MAX_OFFSET = 0xffff
/** The largest `maxLength`, as `lengthPrefixed()`'s. */
const MAX_UINT32 = 0xffff_ffff
/** A varint holding any 64-bit value takes at most 10 bytes (10 × 7 ≥ 64). */
const MAX_VARINT_BYTES = 10
const WIDTHS: readonly LengthFieldWidth[] = [1, 2, 3, 4, 8, 'varint']

/** Place values of the bytes of a little-endian number (varint groups or bytes). */
const VARINT_SCALE = Array.from({ length: MAX_VARINT_BYTES }, (_, i) => 2 ** (7 * i))
const LE_SCALE = Array.from({ length: 8 }, (_, i) => 2 ** (8 * i))

/** A configuration as the decoder and encoder use it, options checked. */
interface Layout {
  readonly offset: number
  /** Field bytes; 0 for a varint. */
  readonly width: number
  readonly littleEndian: boolean
  readonly adjust: number
  readonly strip: number
  readonly leading: Uint8Array
  readonly varintBytes: number
  readonly maxLength: number
  /** The largest value the field can hold. */
  readonly fieldMax: number
}

/**
 * A codec for frames whose header holds their length at some offset, as Netty's
 * `LengthFieldBasedFrameDecoder`: `offset` bytes, a length field of `length` bytes (or a varint),
 * then `value + adjust` bytes. Messages are frames without their first `strip` bytes, the same shape
 * both ways: with `strip` 0 a message is the whole frame, header included, and `encode` writes the
 * length field into (a copy of) it from the message's size, whatever the message holds there (zeros
 * will do; for a varint field, the message's varint is read to find where it ends, and kept when it
 * already holds the right value, so `encode(decode(x))` is `x`); with `strip` equal to `offset` +
 * `length` a message is what follows the header, and `encode` writes `leading` and the field before
 * it. The presets (`postgres()`, `mysql()`, `mqtt()`, `kafka()`, `dnsTcp()`) are built on it.
 *
 * A plain prefix (`offset` 0, `adjust` 0, `strip` the field) of 1, 2 (big-endian) or 4 bytes is
 * `lengthPrefixed()` itself. Decoding yields frames that lie in one chunk as `subarray`s of it; a
 * frame spanning chunks is copied once into a buffer of its size. Encoding yields one chunk per
 * message (one buffer up to `COPY_THRESHOLD` bytes, else a `Uint8ArrayList` of header and the rest,
 * not copied). The stream must end on a frame boundary.
 *
 * @throws {TypeError | RangeError} at once, for a bad option (the message names it)
 * @throws {TypeError} (from the streams) for a message that is not a `Uint8Array`
 * @throws {FrameTooLongError} when a field announces, or a message has, more than `maxLength`
 * bytes, or a message's length needs more than its field holds
 * @throws {InvalidFrameError} when a field's value plus `adjust` is negative, a varint is longer than
 * `varintBytes` or over 2^53 - 1, or a message to encode is shorter than its header
 * @throws {UnexpectedEndError} when the stream ends inside a frame
 */
export function lengthField(options: LengthFieldOptions): ByteCodec {
  return lengthFieldCodec(options, 'lengthField()')
}

/** @internal `lengthField()` naming `name` in the `TypeError` for a message that is not bytes. */
export function lengthFieldCodec(options: LengthFieldOptions, name: string): ByteCodec {
  const layout = checkOptions(options)
  const { offset, width, littleEndian, adjust, strip } = layout
  if (offset === 0 && adjust === 0 && width > 0 && strip === width) {
    const encoding: LengthEncoding | undefined =
      width === 1
        ? 'uint8'
        : width === 2 && !littleEndian
          ? 'uint16be'
          : width === 4
            ? littleEndian
              ? 'uint32le'
              : 'uint32be'
            : undefined
    if (encoding !== undefined) return prefixCodec(encoding, layout.maxLength, name)
  }
  return defineCodec(
    'bytes',
    () => new LengthFieldDecoder(layout),
    (message: Uint8Array) => {
      checkBytes(message, name)
      return width === 0 ? encodeVarintFrame(layout, message) : encodeFixedFrame(layout, message)
    },
  )
}

function checkOptions(options: LengthFieldOptions): Layout {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `lengthField() options must be an object, got ${options === null ? 'null' : typeof options}`,
    )
  }
  const length = options.length
  if (!WIDTHS.includes(length)) {
    throw new TypeError(`length must be one of ${WIDTHS.join(', ')}, got ${String(length)}`)
  }
  const width = length === 'varint' ? 0 : length
  const offset = options.offset === undefined ? 0 : checkInteger('offset', options.offset, 0, MAX_OFFSET)
  const endian = options.endian ?? 'big'
  if (endian !== 'big' && endian !== 'little') {
    throw new TypeError(`endian must be 'big' or 'little', got ${String(endian)}`)
  }
  const adjust =
    options.adjust === undefined
      ? 0
      : checkInteger('adjust', options.adjust, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  const strip = options.strip === undefined ? 0 : checkInteger('strip', options.strip, 0, MAX_OFFSET + 8)
  if (strip !== 0 && (width === 0 || strip !== offset + width)) {
    throw new TypeError(
      width === 0
        ? `strip must be 0 with a varint length field (the header's size varies), got ${strip}`
        : `strip must be 0 or ${offset + width} (offset + length, the whole header), got ${strip}: encode could not rebuild other bytes`,
    )
  }
  let leading = new Uint8Array(offset)
  if (options.leading !== undefined) {
    if (!(options.leading instanceof Uint8Array)) {
      throw new TypeError(`leading must be a Uint8Array, got ${typeof options.leading}`)
    }
    if (strip === 0) throw new TypeError('leading is only used when strip removes the header')
    if (options.leading.length !== offset) {
      throw new RangeError(`leading must be offset (${offset}) bytes, got ${options.leading.length}`)
    }
    leading = Uint8Array.from(options.leading)
  }
  let varintBytes = MAX_VARINT_BYTES
  if (options.varintBytes !== undefined) {
    if (width !== 0) throw new TypeError("varintBytes is only used with length: 'varint'")
    varintBytes = checkInteger('varintBytes', options.varintBytes, 1, MAX_VARINT_BYTES)
  }
  const maxLength = checkMaxLength(options.maxLength, MAX_FRAME_LENGTH, MAX_UINT32)
  const fieldMax =
    width === 0
      ? Math.min(2 ** (7 * varintBytes) - 1, Number.MAX_SAFE_INTEGER)
      : Math.min(2 ** (8 * width) - 1, Number.MAX_SAFE_INTEGER)
  return {
    offset,
    width,
    littleEndian: endian === 'little',
    adjust,
    strip,
    leading,
    varintBytes,
    maxLength,
    fieldMax,
  }
}

/** Writes `value` as a `width`-byte unsigned integer at `at` in `out`. */
function writeFixed(out: Uint8Array, at: number, width: number, littleEndian: boolean, value: number): void {
  for (let i = 0; i < width; i++) {
    const byte = Math.floor(value / (LE_SCALE[i] as number)) % 256
    out[littleEndian ? at + i : at + width - 1 - i] = byte
  }
}

/** Bytes the minimal varint encoding of `value` takes. */
function varintLength(value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    n++
  }
  return n
}

/** Writes the minimal varint of `value` at `at` in `out`. */
function writeVarint(out: Uint8Array, at: number, value: number): void {
  while (value >= 0x80) {
    out[at++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  out[at] = value
}

/** Room for `size` encoded bytes: from the pool when small enough. */
const room = (size: number): Uint8Array => (size <= COPY_THRESHOLD ? allocate(size) : new Uint8Array(size))

function tooLong(length: number, layout: Layout, field: boolean): FrameTooLongError {
  const what = layout.width === 0 ? `a ${layout.varintBytes}-byte varint` : `a ${layout.width}-byte field`
  return new FrameTooLongError(
    field
      ? `Cannot encode frame: length ${length} exceeds ${layout.fieldMax}, the most ${what} can hold`
      : `Cannot encode frame: length ${length} exceeds maxLength ${layout.maxLength}`,
  )
}

function negative(value: number, adjust: number): InvalidFrameError {
  return new InvalidFrameError(
    `Cannot encode frame: its size needs a length field of ${value} with adjust ${adjust}, which is negative`,
  )
}

/** `encodeFrame` for a fixed-width field. */
function encodeFixedFrame(layout: Layout, message: Uint8Array): Uint8Array | Uint8ArrayList {
  const { offset, width, adjust, strip } = layout
  const header = offset + width
  if (message.length > layout.maxLength) throw tooLong(message.length, layout, false)
  if (strip === 0 && message.length < header) {
    throw new InvalidFrameError(
      `Cannot encode frame: ${message.length} bytes is shorter than its ${header}-byte header (offset + length field)`,
    )
  }
  const after = strip === 0 ? message.length - header : message.length
  const value = after - adjust
  if (value < 0) throw negative(value, adjust)
  if (value > layout.fieldMax) throw tooLong(value, layout, true)
  const total = header + after
  const body = strip === 0 ? message.subarray(header) : message
  const out = room(total <= COPY_THRESHOLD ? total : header)
  if (strip === 0) out.set(message.subarray(0, offset))
  else out.set(layout.leading)
  writeFixed(out, offset, width, layout.littleEndian, value)
  if (total <= COPY_THRESHOLD) {
    out.set(body, header)
    return out
  }
  return new Uint8ArrayList(out, body)
}

/** `encodeFrame` for a varint field (`strip` is 0). */
function encodeVarintFrame(layout: Layout, message: Uint8Array): Uint8Array | Uint8ArrayList {
  const { offset, adjust, varintBytes } = layout
  // Find the end of the varint the message carries (one zero byte will do) and its value.
  let end = offset
  let old = 0
  for (;;) {
    const byte = message[end]
    if (byte === undefined || end - offset === varintBytes) {
      throw new InvalidFrameError(
        `Cannot encode frame: no varint of at most ${varintBytes} bytes at offset ${offset} (a message holds its header; a zero byte will do as its length field)`,
      )
    }
    old += (byte & 0x7f) * (VARINT_SCALE[end - offset] as number)
    end++
    if (byte < 0x80) break
  }
  const body = message.subarray(end)
  const value = body.length - adjust
  if (value < 0) throw negative(value, adjust)
  if (value > layout.fieldMax) throw tooLong(value, layout, true)
  const field = old === value ? end - offset : varintLength(value)
  const total = offset + field + body.length
  if (total > layout.maxLength) throw tooLong(total, layout, false)
  const header = offset + field
  const out = room(total <= COPY_THRESHOLD ? total : header)
  if (old === value) out.set(message.subarray(0, end))
  else {
    out.set(message.subarray(0, offset))
    writeVarint(out, offset, value)
  }
  if (total <= COPY_THRESHOLD) {
    out.set(body, header)
    return out
  }
  return new Uint8ArrayList(out, body)
}

/** The decoding step of `lengthField()`: header, then the rest, per frame. */
export class LengthFieldDecoder implements FrameDecoder<Uint8Array> {
  private chunk: Uint8Array = EMPTY_BYTES
  private pos = 0
  /** The header of the frame in progress (kept for frames spanning chunks and for `take()`). */
  private readonly head: Uint8Array
  private headLength = 0
  private value = 0
  /** The message of a frame spanning chunks, allocated at its size; `undefined` otherwise. */
  private payload: Uint8Array | undefined = undefined
  private filled = 0

  constructor(private readonly layout: Layout) {
    this.head = new Uint8Array(layout.offset + (layout.width === 0 ? layout.varintBytes : layout.width))
  }

  push(chunk: Uint8Array): void {
    this.chunk = chunk
    this.pos = 0
  }

  next(): Uint8Array | undefined {
    const chunk = this.chunk
    const end = chunk.length
    let pos = this.pos
    const payload = this.payload
    if (payload !== undefined) {
      const n = Math.min(payload.length - this.filled, end - pos)
      payload.set(chunk.subarray(pos, pos + n), this.filled)
      this.filled += n
      this.pos = pos + n
      if (this.filled < payload.length) return undefined
      this.payload = undefined
      this.headLength = 0
      return payload
    }
    if (pos >= end) {
      // All consumed: let the chunk go, so an idle connection's decoder holds no buffer.
      this.chunk = EMPTY_BYTES
      this.pos = 0
      return undefined
    }

    const { offset, width, littleEndian, varintBytes } = this.layout
    const head = this.head
    const frameStart = this.headLength === 0 ? pos : -1
    let done = false
    if (frameStart >= 0 && width !== 0 && end - pos >= offset + width) {
      // A whole fixed-width header in this chunk (the usual case): read the field in place.
      let value = 0
      const field = pos + offset
      if (littleEndian)
        for (let k = width - 1; k >= 0; k--) value = value * 256 + (chunk[field + k] as number)
      else for (let k = 0; k < width; k++) value = value * 256 + (chunk[field + k] as number)
      this.value = value
      this.headLength = offset + width
      pos += offset + width
      done = true
    }
    // Else read the header one byte at a time (it may be split across chunks).
    while (!done && pos < end) {
      const byte = chunk[pos++] as number
      const index = this.headLength
      head[index] = byte
      this.headLength = index + 1
      if (index < offset) continue
      const k = index - offset
      if (width === 0) {
        this.value += (byte & 0x7f) * (VARINT_SCALE[k] as number)
        if (byte < 0x80) {
          done = true
          break
        }
        if (k + 1 === varintBytes) {
          throw new InvalidFrameError(
            `Cannot decode frame: varint length field longer than ${varintBytes} bytes`,
          )
        }
      } else {
        this.value = littleEndian ? this.value + byte * (LE_SCALE[k] as number) : this.value * 256 + byte
        if (k + 1 === width) {
          done = true
          break
        }
      }
    }
    this.pos = pos
    if (!done) return undefined
    const value = this.value
    this.value = 0
    if (width === 0 && value > Number.MAX_SAFE_INTEGER) {
      throw new InvalidFrameError(`Cannot decode frame: varint length field over 2^53 - 1`)
    }
    const { adjust, strip, maxLength } = this.layout
    const rest = value + adjust
    if (rest < 0) {
      throw new InvalidFrameError(
        `Cannot decode frame: length field ${value} with adjust ${adjust} leaves ${rest} bytes after the header`,
      )
    }
    const headLength = this.headLength
    const size = headLength - strip + rest
    if (size > maxLength) {
      throw new FrameTooLongError(`Cannot decode frame: length ${size} exceeds maxLength ${maxLength}`)
    }
    if (frameStart >= 0 && end - pos >= rest) {
      this.pos = pos + rest
      this.headLength = 0
      return chunk.subarray(frameStart + strip, pos + rest)
    }
    // The frame spans chunks: its header goes to `head`, where the byte loop leaves it.
    if (frameStart >= 0) head.set(chunk.subarray(frameStart, pos))
    const buffer = uninitialized(size)
    buffer.set(head.subarray(strip, headLength))
    const n = Math.min(rest, end - pos)
    buffer.set(chunk.subarray(pos, pos + n), headLength - strip)
    this.pos = pos + n
    if (n === rest) {
      this.headLength = 0
      return buffer
    }
    this.payload = buffer
    this.filled = headLength - strip + n
    return undefined
  }

  end(): undefined {
    if (this.payload !== undefined) {
      throw new UnexpectedEndError(
        `Cannot decode frame: stream ended after ${this.filled} of ${this.payload.length} bytes of a frame`,
      )
    }
    if (this.headLength > 0) {
      throw new UnexpectedEndError(
        `Cannot decode frame: stream ended inside a frame header (${this.headLength} bytes read)`,
      )
    }
    return undefined
  }

  take(): Uint8Array[] {
    const out: Uint8Array[] = []
    const headLength = this.headLength
    if (headLength > 0) out.push(this.head.slice(0, headLength))
    if (this.payload !== undefined) {
      out.push(this.payload.subarray(headLength - this.layout.strip, this.filled))
    }
    if (this.pos < this.chunk.length) out.push(this.chunk.subarray(this.pos))
    this.chunk = EMPTY_BYTES
    this.pos = 0
    this.headLength = 0
    this.value = 0
    this.payload = undefined
    return out
  }
}
