import { Uint8ArrayList } from 'uint8arraylist'
import { FrameTooLongError, InvalidFrameError } from '../errors.js'
import { MAX_LINE_LENGTH } from '../limits.js'
import { allocate, COPY_THRESHOLD, concat } from './buffers.js'
import { checkBytes, checkMaxLength } from './checks.js'
import type { ByteCodec } from './codec.js'
import { defineCodec } from './define-codec.js'
import { DelimiterDecoder, indexOfBytes } from './delimiter-decoder.js'
import { describeBytes } from './describe-frame.js'
import { utf8Encoder } from './utf8.js'

/** Options of `delimited()`. */
export interface DelimitedOptions {
  /**
   * Largest frame, in bytes, the delimiter not included, decoded or encoded. A frame growing past it
   * fails with `FrameTooLongError`; a decoder never holds more than this (plus the delimiter's length)
   * for a frame in progress.
   * @default MAX_LINE_LENGTH (64 KiB)
   */
  maxLength?: number
}

/**
 * A codec for frames that end with `delimiter`: any non-empty byte sequence, such as `'\0'`,
 * `'\r\n'` or a multi-byte marker (a string is taken as its UTF-8 bytes). Encoding appends the
 * delimiter; a message in which the delimiter would be found before its end (so that it would decode
 * as more than one frame) fails with `InvalidFrameError`.
 *
 * At the end of the stream, bytes after the last delimiter are yielded as a final frame (as tokio's
 * `AnyDelimiterCodec` does); nothing is yielded when the stream ends on a delimiter. A delimiter split
 * across chunks is found. Frames within one chunk are `subarray`s of it; others are copied once.
 * Encoding yields one buffer holding message and delimiter for frames of up to `COPY_THRESHOLD` bytes
 * (delimiter included), above that a `Uint8ArrayList` of message (not copied) and delimiter.
 *
 * @throws {TypeError} at once, for an empty delimiter; {RangeError} for a bad `maxLength`
 * @throws {TypeError} (from the streams) for a message that is not a `Uint8Array`
 * @throws {FrameTooLongError} (from the streams) when a frame exceeds `maxLength`
 * @throws {InvalidFrameError} when a message to encode contains the delimiter
 */
export function delimited(delimiter: string | Uint8Array, options: DelimitedOptions = {}): ByteCodec {
  if (!(delimiter instanceof Uint8Array) && typeof delimiter !== 'string') {
    throw new TypeError(`delimiter must be a string or a Uint8Array, got ${typeof delimiter}`)
  }
  // A copy: the caller may reuse their buffer.
  const bytes = typeof delimiter === 'string' ? utf8Encoder.encode(delimiter) : Uint8Array.from(delimiter)
  if (bytes.length === 0) throw new TypeError('delimiter must not be empty')
  const maxLength = checkMaxLength(options.maxLength, MAX_LINE_LENGTH)
  const d = bytes.length

  function encodeFrame(message: Uint8Array): Uint8Array | Uint8ArrayList {
    checkBytes(message, 'delimited()')
    const length = message.length
    if (length > maxLength) {
      throw new FrameTooLongError(`Cannot encode frame: length ${length} exceeds maxLength ${maxLength}`)
    }
    let at = d === 1 ? message.indexOf(bytes[0] as number) : indexOfBytes(message, bytes)
    if (at < 0 && d > 1 && length > 0) {
      // The end of the message and the delimiter may form an earlier delimiter.
      const start = Math.max(0, length - d + 1)
      const tail = concat([message.subarray(start), bytes], length - start + d)
      const found = indexOfBytes(tail, bytes)
      if (found < length - start) at = start + found
    }
    if (at >= 0) {
      throw new InvalidFrameError(
        `Cannot encode frame: delimiter ${describeBytes(bytes)} found at byte ${at} of ${describeBytes(message)}`,
      )
    }
    if (length + d <= COPY_THRESHOLD) {
      const out = allocate(length + d)
      out.set(message)
      out.set(bytes, length)
      return out
    }
    return new Uint8ArrayList(message, bytes)
  }

  return defineCodec('bytes', () => new DelimiterDecoder(bytes, maxLength), encodeFrame)
}
