/**
 * The checks codecs make of their options and messages, failing with `TypeError`/`RangeError`
 * messages that name the codec, the value seen and what was expected.
 *
 * @module
 */

import type { Uint8ArrayList } from 'uint8arraylist'
import { isUint8ArrayList } from 'uint8arraylist'
import { describeType } from '../describe.js'

/**
 * Validates a `maxLength` option (or another limit of that kind, named `name`): a positive safe
 * integer, at most `max`.
 */
export function checkMaxLength(
  value: unknown,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
  name = 'maxLength',
): number {
  return value === undefined ? fallback : checkInteger(name, value, 1, max)
}

/** Validates an integer option named `name`: a safe integer from `min` to `max`. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`)
  }
  return value
}

/**
 * Fails with `TypeError` unless `message` is a `Uint8Array` (a `Buffer` is one): the check every byte
 * codec's `encodeFrame` starts with, one `instanceof` per message. Without it a string or another
 * typed array would be read through `length` and indexing, and written as zeros or truncated bytes.
 *
 * @param codec the codec's name as the caller wrote it, such as `'lengthPrefixed()'`
 */
export function checkBytes(message: unknown, codec: string): asserts message is Uint8Array {
  if (!(message instanceof Uint8Array)) throw notBytes(message, codec, false)
}

/**
 * As `checkBytes`, but a `Uint8ArrayList` passes too: for the codecs that pass each message on as it
 * is (`raw()`, `fixed()`), since every sink takes lists.
 */
export function checkChunk(message: unknown, codec: string): asserts message is Uint8Array | Uint8ArrayList {
  if (!(message instanceof Uint8Array) && !isUint8ArrayList(message)) throw notBytes(message, codec, true)
}

/** Fails with `TypeError` unless `message` is a string: the check of every text codec's `encodeFrame`. */
export function checkString(message: unknown, codec: string): asserts message is string {
  if (typeof message !== 'string') throw wrongMessageType(message, codec, 'strings')
}

/**
 * The `TypeError` for a message `codec` cannot encode, naming the codec, the value's type and what
 * its messages are: `lengthPrefixed(): cannot encode a string: messages are Uint8Array (use
 * text(lengthPrefixed()) for strings)`.
 */
export function wrongMessageType(value: unknown, codec: string, expected: string, hint?: string): TypeError {
  return new TypeError(
    `${codec}: cannot encode ${describeType(value)}: messages are ${expected}${hint === undefined ? '' : ` (${hint})`}`,
  )
}

/** The `TypeError` of `checkBytes` and `checkChunk`, with a hint for the usual mistakes. */
function notBytes(value: unknown, codec: string, lists: boolean): TypeError {
  let hint: string | undefined
  if (typeof value === 'string') hint = `use text(${codec}) for strings`
  else if (ArrayBuffer.isView(value)) {
    hint = 'view its bytes as new Uint8Array(view.buffer, view.byteOffset, view.byteLength)'
  } else if (value instanceof ArrayBuffer) hint = 'view it as new Uint8Array(buffer)'
  else if (isUint8ArrayList(value)) hint = 'join it with list.subarray()'
  return wrongMessageType(value, codec, lists ? 'Uint8Array or Uint8ArrayList' : 'Uint8Array', hint)
}
