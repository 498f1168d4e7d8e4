import { describeType } from '../describe.js'
import { InvalidFrameError } from '../errors.js'
import { wrongMessageType } from './checks.js'
import type { Codec, JsonCodec, TextCodec } from './codec.js'
import { layerCodec } from './define-codec.js'
import { describeText } from './describe-frame.js'
import { decodeUtf8, encodeUtf8 } from './utf8.js'

/**
 * JSON values over any byte codec (`json(lengthPrefixed())`) or text codec (`json(lines())` is
 * newline-delimited JSON: `JSON.stringify` never writes a raw newline). Each frame holds one value.
 *
 * @throws {TypeError} at once, when `codec` is a JSON codec. (From `encode`) for a message of a type
 *   JSON has no form for: `undefined`, a function, a symbol, a `BigInt`
 * @throws {InvalidFrameError} (from `decode`) when a frame is not UTF-8 or not JSON; the message shows
 *   the start of what was received. (From `encode`) when `JSON.stringify` refuses an object (a cycle,
 *   a `BigInt` inside) or its `toJSON()` returns `undefined`.
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

/** The type check costs nothing until `JSON.stringify` fails: no JSON form is how a wrong type shows. */
function stringify(value: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (err) {
    if (typeof value === 'bigint') throw notJson(value)
    throw new InvalidFrameError(`Cannot encode JSON: ${(err as Error).message}`, { cause: err })
  }
  if (text === undefined) {
    // undefined, a function or a symbol; or an object whose toJSON() returned undefined.
    if (typeof value !== 'object') throw notJson(value)
    throw new InvalidFrameError(`Cannot encode JSON: ${describeType(value)} has no JSON form`)
  }
  return text
}

function notJson(value: unknown): TypeError {
  return wrongMessageType(
    value,
    'json()',
    'JSON values',
    value === undefined ? 'use null for no value' : undefined,
  )
}
