import { checkString } from './checks.js'
import type { Codec, TextCodec } from './codec.js'
import { layerCodec } from './define-codec.js'
import { decodeUtf8, encodeUtf8 } from './utf8.js'

/**
 * UTF-8 strings over any byte codec: `text(lengthPrefixed())`, `text(delimited('\0'))`. Framing and
 * format change independently: the byte codec decides where messages end, `text` what they hold.
 *
 * @throws {TypeError} at once, when `codec` is not a byte codec (its `kind` is `'text'` or `'json'`)
 * @throws {TypeError} (from `encode`) for a message that is not a string
 * @throws {InvalidFrameError} (from `decode`) when a frame is not valid UTF-8; the message shows its bytes
 */
export function text(codec: Codec<Uint8Array>): TextCodec {
  if (codec.kind !== undefined && codec.kind !== 'bytes') {
    throw new TypeError(`text() needs a byte codec, got a ${codec.kind} codec`)
  }
  return layerCodec(codec, 'text', decodeUtf8, (message: string) => {
    checkString(message, 'text()')
    return encodeUtf8(message)
  })
}
