import { Uint8ArrayList } from 'uint8arraylist'
import { FrameTooLongError, InvalidFrameError, UnexpectedEndError } from '../errors.js'
import { MAX_FRAME_LENGTH } from '../limits.js'
import { allocate, COPY_THRESHOLD, EMPTY_BYTES, uninitialized } from './buffers.js'
import { checkBytes, checkMaxLength } from './checks.js'
import type { ByteCodec, FrameDecoder } from './codec.js'
import { defineCodec } from './define-codec.js'

/**
 * How the payload length is written before each payload: an unsigned LEB128 varint (protobuf's
 * "delimited" format, it-length-prefixed's default) or a fixed-width unsigned integer.
 */
export type LengthEncoding = 'varint' | 'uint8' | 'uint16be' | 'uint32be' | 'uint32le'

/** Every `LengthEncoding`, in the order docs and error messages list them. */
export const LENGTH_ENCODINGS: readonly LengthEncoding[] = [
  'varint',
  'uint8',
  'uint16be',
  'uint32be',
  'uint32le',
]

/** Options of `lengthPrefixed()`. */
export interface LengthPrefixedOptions {
  /**
   * How the length prefix is encoded.
   * @default 'varint'
   */
  lengthEncoding?: LengthEncoding
  /**
   * Largest payload, in bytes (the prefix not included), decoded or encoded. A prefix announcing more
   * fails with `FrameTooLongError` before any of the payload is buffered; a decoder never holds more
   * than this for a frame in progress. At most 4 GiB - 1.
   * @default MAX_FRAME_LENGTH (1 MiB)
   */
  maxLength?: number
}

/** The largest length a 32-bit prefix can hold; also the most a varint prefix may announce. */
const MAX_UINT32 = 0xffff_ffff

/**
 * A varint holding a 32-bit value takes at most 5 bytes (5 × 7 bits ≥ 32). Encoders write minimal
 * varints, so a 6th byte means garbage or an attack, not a length: fail instead of reading on.
 */
const MAX_VARINT_BYTES = 5

/** Bytes of the prefix (0 for varint) and the largest length it can hold, per encoding. */
const WIDTHS: Record<LengthEncoding, readonly [bytes: number, max: number]> = {
  varint: [0, MAX_UINT32],
  uint8: [1, 0xff],
  uint16be: [2, 0xffff],
  uint32be: [4, MAX_UINT32],
  uint32le: [4, MAX_UINT32],
}

/**
 * A codec for length-prefixed frames, byte for byte the format of it-length-prefixed: each payload is
 * preceded by its length in bytes, an unsigned varint by default (as protobuf's delimited messages)
 * or a fixed-width integer (`lengthEncoding`). Empty payloads are frames too.
 *
 * Encoding yields one chunk per message: one buffer holding prefix and payload for frames of up to
 * `COPY_THRESHOLD` bytes (prefix included), above that a `Uint8ArrayList` of prefix and payload (not
 * copied). Decoding yields payloads that lie in one chunk as `subarray`s of it; a payload spanning
 * chunks is copied once into a buffer of its announced size. The stream must end on a frame boundary.
 *
 * @throws {TypeError | RangeError} at once, for an unknown `lengthEncoding` or a bad `maxLength`
 * @throws {TypeError} (from the streams) for a message that is not a `Uint8Array`
 * @throws {FrameTooLongError} (from the streams) when a prefix announces, or a message has, more than `maxLength` bytes
 * @throws {InvalidFrameError} when a varint prefix runs past 5 bytes
 * @throws {UnexpectedEndError} when the stream ends inside a prefix or a payload
 */
export function lengthPrefixed(options: LengthPrefixedOptions = {}): ByteCodec {
  const encoding = options.lengthEncoding ?? 'varint'
  if (!Object.hasOwn(WIDTHS, encoding)) {
    throw new TypeError(
      `lengthEncoding must be one of ${LENGTH_ENCODINGS.join(', ')}, got ${String(encoding)}`,
    )
  }
  const maxLength = checkMaxLength(options.maxLength, MAX_FRAME_LENGTH, MAX_UINT32)
  return prefixCodec(encoding, maxLength, 'lengthPrefixed()')
}

/**
 * @internal `lengthPrefixed()` with its options checked, for the codecs built on it (`lengthField()`
 * configured as a plain prefix); `name` is the codec named in `TypeError`s for a message not bytes.
 */
export function prefixCodec(encoding: LengthEncoding, maxLength: number, name: string): ByteCodec {
  const [width, widthMax] = WIDTHS[encoding]
  const encodeLimit = Math.min(maxLength, widthMax)

  function encodeFrame(payload: Uint8Array): Uint8Array | Uint8ArrayList {
    checkBytes(payload, name)
    const length = payload.length
    if (length > encodeLimit) {
      const limit =
        maxLength <= widthMax
          ? `maxLength ${maxLength}`
          : `${widthMax}, the most a ${encoding} prefix can hold`
      throw new FrameTooLongError(`Cannot encode frame: length ${length} exceeds ${limit}`)
    }
    const prefixLength = width === 0 ? varintLength(length) : width
    if (prefixLength + length <= COPY_THRESHOLD) {
      const out = allocate(prefixLength + length)
      writeLength(out, length, encoding)
      out.set(payload, prefixLength)
      return out
    }
    const prefix = allocate(prefixLength)
    writeLength(prefix, length, encoding)
    return new Uint8ArrayList(prefix, payload)
  }

  return defineCodec(
    'bytes',
    () => new LengthPrefixedDecoder(width, encoding === 'uint32le', maxLength),
    encodeFrame,
  )
}

/** Bytes the minimal varint encoding of `value` takes. */
function varintLength(value: number): number {
  if (value < 0x80) return 1
  if (value < 0x4000) return 2
  if (value < 0x20_0000) return 3
  if (value < 0x1000_0000) return 4
  return 5
}

/** Writes `value` at the start of `out` in `encoding`. */
function writeLength(out: Uint8Array, value: number, encoding: LengthEncoding): void {
  switch (encoding) {
    case 'varint': {
      let i = 0
      while (value >= 0x80) {
        out[i++] = (value & 0x7f) | 0x80
        value = Math.floor(value / 128)
      }
      out[i] = value
      return
    }
    case 'uint8':
      out[0] = value
      return
    case 'uint16be':
      out[0] = value >>> 8
      out[1] = value
      return
    case 'uint32be':
      out[0] = value >>> 24
      out[1] = value >>> 16
      out[2] = value >>> 8
      out[3] = value
      return
    case 'uint32le':
      out[0] = value
      out[1] = value >>> 8
      out[2] = value >>> 16
      out[3] = value >>> 24
      return
  }
}

/** Place values of the bytes of a little-endian number (varint groups or uint32le bytes). */
const VARINT_SCALE = [1, 2 ** 7, 2 ** 14, 2 ** 21, 2 ** 28]
const LE_SCALE = [1, 2 ** 8, 2 ** 16, 2 ** 24]

/** The decoding step of `lengthPrefixed()`: prefix, then payload, per frame. */
export class LengthPrefixedDecoder implements FrameDecoder<Uint8Array> {
  private chunk: Uint8Array = EMPTY_BYTES
  private pos = 0
  /**
   * Raw bytes of the prefix being read or of the frame in progress, kept for `take()`: at most 5
   * bytes, held as one number (byte by byte, big-endian) so an idle decoder allocates nothing.
   */
  private prefixBytes = 0
  private prefixLength = 0
  private value = 0
  /** The payload of a frame spanning chunks, allocated at its announced size; `undefined` otherwise. */
  private payload: Uint8Array | undefined = undefined
  private filled = 0

  /**
   * @param width prefix bytes, 0 for a varint
   * @param littleEndian whether a fixed-width prefix is little-endian
   * @param maxLength largest payload accepted, in bytes
   */
  constructor(
    private readonly width: number,
    private readonly littleEndian: boolean,
    private readonly maxLength: number,
  ) {}

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
      this.prefixLength = 0
      this.prefixBytes = 0
      return payload
    }
    if (pos >= end) {
      // All consumed: let the chunk go, so an idle connection's decoder holds no buffer.
      this.chunk = EMPTY_BYTES
      this.pos = 0
      return undefined
    }

    // Read the prefix, one byte at a time (it may be split across chunks).
    const width = this.width
    let length = -1
    while (pos < end) {
      const byte = chunk[pos++] as number
      const index = this.prefixLength
      this.prefixBytes = this.prefixBytes * 256 + byte
      this.prefixLength = index + 1
      if (width === 0) {
        this.value += (byte & 0x7f) * (VARINT_SCALE[index] as number)
        if (byte < 0x80) {
          length = this.value
          break
        }
        if (index + 1 === MAX_VARINT_BYTES) {
          throw new InvalidFrameError(
            `Cannot decode frame: varint length prefix longer than ${MAX_VARINT_BYTES} bytes`,
          )
        }
      } else {
        this.value = this.littleEndian
          ? this.value + byte * (LE_SCALE[index] as number)
          : this.value * 256 + byte
        if (index + 1 === width) {
          length = this.value
          break
        }
      }
    }
    this.pos = pos
    if (length < 0) return undefined
    this.value = 0
    if (length > this.maxLength) {
      throw new FrameTooLongError(`Cannot decode frame: length ${length} exceeds maxLength ${this.maxLength}`)
    }
    if (end - pos >= length) {
      this.pos = pos + length
      this.prefixLength = 0
      this.prefixBytes = 0
      return chunk.subarray(pos, pos + length)
    }
    const buffer = uninitialized(length)
    buffer.set(chunk.subarray(pos))
    this.payload = buffer
    this.filled = end - pos
    this.pos = end
    return undefined
  }

  end(): undefined {
    if (this.payload !== undefined) {
      throw new UnexpectedEndError(
        `Cannot decode frame: stream ended after ${this.filled} of ${this.payload.length} payload bytes`,
      )
    }
    if (this.prefixLength > 0) {
      throw new UnexpectedEndError(
        `Cannot decode frame: stream ended inside a length prefix (${this.prefixLength} bytes read)`,
      )
    }
    return undefined
  }

  take(): Uint8Array[] {
    const out: Uint8Array[] = []
    if (this.prefixLength > 0) out.push(prefixOf(this.prefixBytes, this.prefixLength))
    if (this.payload !== undefined) out.push(this.payload.subarray(0, this.filled))
    if (this.pos < this.chunk.length) out.push(this.chunk.subarray(this.pos))
    this.chunk = EMPTY_BYTES
    this.pos = 0
    this.prefixLength = 0
    this.prefixBytes = 0
    this.value = 0
    this.payload = undefined
    return out
  }
}

/** The `length` bytes held big-endian in `bytes` (see `LengthPrefixedDecoder.prefixBytes`). */
function prefixOf(bytes: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = length - 1; i >= 0; i--) {
    out[i] = bytes % 256
    bytes = Math.floor(bytes / 256)
  }
  return out
}
