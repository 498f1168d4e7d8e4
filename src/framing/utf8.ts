/**
 * The UTF-8 encoder and decoder every text codec uses, and the two conversions built on them.
 *
 * @module
 */

import { InvalidFrameError } from '../errors.js'
import { COPY_THRESHOLD, claim, reserve } from './buffers.js'
import { describeBytes } from './describe-frame.js'

/** The UTF-8 decoder every text codec uses: fails on invalid bytes, keeps a leading BOM. */
export const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The UTF-8 encoder every text codec uses. */
export const utf8Encoder = new TextEncoder()

/** `text` in UTF-8, followed by `suffix` if given (a newline). */
export function encodeUtf8(text: string, suffix?: number): Uint8Array {
  const extra = suffix === undefined ? 0 : 1
  const max = text.length * 3 + extra
  if (max > COPY_THRESHOLD)
    return utf8Encoder.encode(suffix === undefined ? text : text + String.fromCharCode(suffix))
  const room = reserve(max)
  const { written } = utf8Encoder.encodeInto(text, room)
  if (suffix !== undefined) room[written] = suffix
  return claim(written + extra)
}

/** Decodes UTF-8, failing with `InvalidFrameError` that shows the bytes. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes)
  } catch (err) {
    throw new InvalidFrameError(`Cannot decode frame: invalid UTF-8 in ${describeBytes(bytes)}`, {
      cause: err,
    })
  }
}
