import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidFrameError, UnexpectedEndError } from '../../src/errors.js'
import { FixedDecoder, fixed } from '../../src/framing/fixed.js'
import {
  bytes,
  chunkingArb,
  chunksOf,
  collect,
  concatBytes,
  decodeAll,
  encodeAll,
  hex,
  rejectsWith,
  SEED,
} from './helpers.js'

describe('fixed()', () => {
  // Annotated boundary cases: [what, frame size, chunks, expected frames as hex].
  const table: Array<[string, number, Uint8Array[], string[]]> = [
    ['exactly one frame', 2, [bytes(1, 2)], ['0102']],
    ['two frames in one chunk', 2, [bytes(1, 2, 3, 4)], ['0102', '0304']],
    ['frame split across chunks', 3, [bytes(1), bytes(2), bytes(3, 4, 5, 6)], ['010203', '040506']],
    ['frame ending mid-chunk, next frame spanning', 2, [bytes(1, 2, 3), bytes(4)], ['0102', '0304']],
    ['size 1', 1, [bytes(7, 8)], ['07', '08']],
    ['empty stream', 4, [], []],
  ]
  for (const [what, size, chunks, expected] of table) {
    it(`fixed() decodes: ${what}`, async () => {
      expect(hex(await decodeAll(fixed(size), chunks))).toEqual(expected)
    })
  }

  it('fixed() round-trips when re-chunked at every size from 1 byte', async () => {
    const messages = Array.from({ length: 20 }, (_, i) => new Uint8Array(7).fill(i))
    const wire = await encodeAll(fixed(7), messages)
    for (let size = 1; size <= wire.length; size++) {
      expect(hex(await decodeAll(fixed(7), chunksOf(wire, size)))).toEqual(hex(messages))
    }
  })

  it('fixed() round-trips any frames under any chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.nat({ max: 255 }), { maxLength: 20 }),
        chunkingArb,
        async (size, fills, chunking) => {
          const messages = fills.map((f) => new Uint8Array(size).fill(f))
          const wire = await encodeAll(fixed(size), messages)
          expect(hex(await decodeAll(fixed(size), chunking(wire)))).toEqual(hex(messages))
        },
      ),
      { seed: SEED, numRuns: 200 },
    )
  })

  it('fixed() encodes each message as it is, without copying', async () => {
    const message = bytes(1, 2, 3)
    expect((await collect(fixed(3).encode([message])))[0]).toBe(message)
  })

  it('fixed() fails with InvalidFrameError when encoding a message of another size', async () => {
    const err = await rejectsWith(encodeAll(fixed(3), [bytes(1, 2)]), InvalidFrameError)
    expect(err.message).toBe('Cannot encode frame: length 2 is not the fixed size 3')
  })

  it('fixed() fails with UnexpectedEndError on a partial frame at the end of the stream', async () => {
    const err = await rejectsWith(decodeAll(fixed(4), [bytes(1, 2, 3, 4, 5)]), UnexpectedEndError)
    expect(err.message).toBe('Cannot decode frame: stream ended after 1 of 4 bytes of a fixed-size frame')
  })

  it('fixed() throws at once for a size that is not a positive integer', () => {
    expect(() => fixed(0)).toThrow(RangeError)
    expect(() => fixed(1.5)).toThrow(RangeError)
    expect(() => fixed('4' as unknown as number)).toThrow(TypeError)
  })

  it('FixedDecoder.take() hands back a partial frame and the unread bytes', () => {
    const decoder = new FixedDecoder(3)
    decoder.push(bytes(1, 2, 3, 4))
    expect(hex([decoder.next()])).toEqual(['010203'])
    expect(decoder.next()).toBeUndefined()
    decoder.push(bytes(5))
    expect(decoder.next()).toBeUndefined()
    expect(hex([concatBytes(decoder.take())])).toEqual(['0405'])
  })
})
