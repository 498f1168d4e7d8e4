import { InvalidFrameError } from '../errors.js'
import type { Codec, JsonCodec, TextCodec } from './codec.js'
import { decodeUtf8, describeText, encodeUtf8, layerCodec } from './codec.js'

/**
 * JSON values over any byte codec (`json(lengthPrefixed())`) or text codec (`json(lines())` is
 * newline-delimited JSON: `JSON.stringify` never writes a raw newline). Each frame holds one value.
 *
 * @throws {TypeError} at once, when `codec` is a JSON codec
 * @throws {InvalidFrameError} (from `decode`) when a frame is not UTF-8 or not JSON; the message shows
 *   the start of what was received. (From `encode`) when a value has no JSON form (`undefined`, a
 *   function, a `BigInt`, a cycle).
 */
export function json<T = unknown>(codec: Codec<Uint8Array> | TextCodec): JsonCodec<T> {
  if (codec.kind === 'json') throw new TypeError('json() needs a byte or text codec, got a json codec')
  if (codec.kind === 'text') return layerCodec(codec as TextCodec, 'json', parse, stringify) as JsonCodec<T>
  return layerCodec(
    codec as Codec<Uint8Array>,
    'json',
    (frame: Uint8Array) => parse(decodeUtf8(frame)),
    (value: unknown) => encodeUtf8(stringify(value)),
  ) as JsonCodec<T>
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InvalidFrameError(`Cannot decode frame: invalid JSON ${describeText(text)}`, { cause: err })
  }
}

function stringify(value: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (err) {
    throw new InvalidFrameError(`Cannot encode JSON: ${(err as Error).message}`, { cause: err })
  }
  if (text === undefined) throw new InvalidFrameError(`Cannot encode JSON: ${typeof value} has no JSON form`)
  return text
}
