/**
 * UTF-8 checked one byte at a time (RFC 3629, table 3-7 of Unicode), so a string in a PROXY header
 * fails at the first byte no valid string can have there: a byte that cannot start or continue a
 * sequence, an overlong form, a surrogate, a code point above U+10FFFF, or a sequence that cannot end
 * before the string does.
 *
 * @module
 */

/** The decoder for strings already checked: keeps a leading BOM, as the framing codecs do. */
export const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The state of one string being checked. */
export class Utf8Check {
  /** Continuation bytes still expected. */
  private need = 0
  /** Bounds of the next continuation byte (narrower after E0, ED, F0 and F4). */
  private lo = 0x80
  private hi = 0xbf

  /** Whether `byte` may come next, with `left` more bytes in the string after it. */
  push(byte: number, left: number): boolean {
    if (this.need === 0) {
      if (byte < 0x80) return true
      if (byte >= 0xc2 && byte <= 0xdf) {
        this.need = 1
      } else if (byte >= 0xe0 && byte <= 0xef) {
        this.need = 2
        if (byte === 0xe0) this.lo = 0xa0 // overlong
        if (byte === 0xed) this.hi = 0x9f // surrogates
      } else if (byte >= 0xf0 && byte <= 0xf4) {
        this.need = 3
        if (byte === 0xf0) this.lo = 0x90 // overlong
        if (byte === 0xf4) this.hi = 0x8f // above U+10FFFF
      } else {
        return false
      }
      return this.need <= left
    }
    if (byte < this.lo || byte > this.hi) return false
    this.need--
    this.lo = 0x80
    this.hi = 0xbf
    return true
  }

  /** Whether the string may end here: no sequence left open. */
  get complete(): boolean {
    return this.need === 0
  }
}
