import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Utf8Check } from '../../src/proxy/utf8-check.js'
import { SEED } from '../framing/helpers.js'

const decoder = new TextDecoder('utf-8', { fatal: true })

/** Index of the first byte `Utf8Check` refuses in `bytes` taken as a whole string, or -1. */
function firstRefused(bytes: Uint8Array): number {
  const check = new Utf8Check()
  for (let i = 0; i < bytes.length; i++) {
    if (!check.push(bytes[i] as number, bytes.length - i - 1)) return i
  }
  expect(check.complete).toBe(true)
  return -1
}

/** Bytes near the edges of UTF-8: lead bytes, the bounds of continuation bytes, ASCII. */
const edgyBytesArb = fc
  .uint8Array({ maxLength: 12 })
  .chain((random) =>
    fc
      .array(
        fc.oneof(
          fc.constantFrom(0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf),
          fc.constantFrom(0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff),
          fc.nat(255),
        ),
        { maxLength: 12 },
      )
      .map((bytes) => (random.length % 2 === 0 ? Uint8Array.from(bytes) : random)),
  )

describe('Utf8Check', () => {
  it('Utf8Check accepts exactly the byte strings TextDecoder decodes (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          edgyBytesArb,
          fc.string({ unit: 'binary' }).map((s) => new TextEncoder().encode(s)),
        ),
        (bytes) => {
          let valid = true
          try {
            decoder.decode(bytes)
          } catch {
            valid = false
          }
          expect(firstRefused(bytes) === -1, Buffer.from(bytes).toString('hex')).toBe(valid)
        },
      ),
      { seed: SEED, numRuns: 5000 },
    )
  })

  it('Utf8Check refuses a byte only when no bytes after it could make the string valid (property)', () => {
    const endings = [
      [],
      [0x80],
      [0x80, 0x80],
      [0x80, 0x80, 0x80],
      [0xa0, 0x80],
      [0x90, 0x80, 0x80],
      [0x8f, 0x80, 0x80],
      [0x9f, 0x80],
    ].map((e) => Uint8Array.from(e))
    fc.assert(
      fc.property(edgyBytesArb, (bytes) => {
        const at = firstRefused(bytes)
        if (at < 0) return
        // The bytes up to the refused one, as the start of a longer string: the check would also refuse
        // the byte given any number of bytes after it, and no ending makes that prefix valid.
        const prefix = bytes.subarray(0, at + 1)
        const check = new Utf8Check()
        let refused = false
        for (let i = 0; i <= at; i++) refused = !check.push(bytes[i] as number, 10)
        for (const ending of endings) {
          const whole = new Uint8Array([...prefix, ...ending])
          let valid = true
          try {
            decoder.decode(whole)
          } catch {
            valid = false
          }
          expect(valid && refused, Buffer.from(whole).toString('hex')).toBe(false)
        }
      }),
      { seed: SEED, numRuns: 3000 },
    )
  })
})
