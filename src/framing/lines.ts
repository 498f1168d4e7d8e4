import { FrameTooLongError, InvalidFrameError } from '../errors.js'
import { MAX_LINE_LENGTH } from '../limits.js'
import { checkMaxLength, checkString } from './checks.js'
import type { TextCodec } from './codec.js'
import { defineCodec, mapDecoder } from './define-codec.js'
import { DelimiterDecoder } from './delimiter-decoder.js'
import { describeText } from './describe-frame.js'
import { decodeUtf8, encodeUtf8 } from './utf8.js'

/** Options of `lines()`. */
export interface LinesOptions {
  /**
   * Largest line, in bytes of UTF-8, the `\n` and a `\r` before it not included, decoded or encoded. A
   * line growing past it fails with `FrameTooLongError`; a decoder never holds more than this (plus
   * one byte) for a line in progress, however long the peer goes on without a newline.
   * @default MAX_LINE_LENGTH (64 KiB)
   */
  maxLength?: number
}

const NEWLINE = new Uint8Array([0x0a])

/**
 * A codec for UTF-8 text lines: each message is one line, ended by `\n`; a `\r` before the `\n` is
 * removed, so `\r\n` line endings are read too. Encoding appends `\n`; a message containing `\n`, or
 * ending with `\r`, fails with `InvalidFrameError` (it would not decode as itself: a peer would see
 * two lines, which is how line-injection attacks work).
 *
 * At the end of the stream, text after the last `\n` is yielded as a final line (as tokio's
 * `LinesCodec` does); nothing is yielded when the stream ends with `\n`. A byte-order mark is kept.
 *
 * @throws {RangeError} at once, for a bad `maxLength`
 * @throws {TypeError} (from `encode`) for a message that is not a string
 * @throws {FrameTooLongError} (from the streams) when a line exceeds `maxLength` bytes
 * @throws {InvalidFrameError} when a line is not valid UTF-8, or a message to encode contains `\n`
 */
export function lines(options: LinesOptions = {}): TextCodec {
  const maxLength = checkMaxLength(options.maxLength, MAX_LINE_LENGTH)

  function encodeFrame(line: string): Uint8Array {
    checkString(line, 'lines()')
    const at = line.indexOf('\n')
    if (at >= 0) {
      throw new InvalidFrameError(`Cannot encode line: \\n at index ${at} of ${describeText(line)}`)
    }
    if (line.endsWith('\r')) {
      throw new InvalidFrameError(`Cannot encode line: it ends with \\r: ${describeText(line)}`)
    }
    const bytes = encodeUtf8(line, 0x0a)
    if (bytes.length - 1 > maxLength) {
      throw new FrameTooLongError(
        `Cannot encode line: length ${bytes.length - 1} exceeds maxLength ${maxLength}`,
      )
    }
    return bytes
  }

  return defineCodec(
    'text',
    () => mapDecoder(new DelimiterDecoder(NEWLINE, maxLength, true), decodeUtf8),
    encodeFrame,
  )
}
