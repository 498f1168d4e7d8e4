import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { offersBatches } from '../../src/batches.js'
import { decodeWith } from '../../src/framing/decode-with.js'
import { RawDecoder, raw } from '../../src/framing/raw.js'
import { bytes, chunkingArb, collect, concatBytes, encodeAll, hex, SEED } from './helpers.js'

describe('raw()', () => {
  it('raw() yields each chunk as it arrives, without copying', async () => {
    const a = bytes(1, 2)
    const b = bytes(3)
    const out = await collect(raw().decode([a, b]))
    expect(out[0]).toBe(a)
    expect(out[1]).toBe(b)
  })

  it('raw() yields a Uint8ArrayList buffer by buffer, without joining or copying them', async () => {
    const a = bytes(1, 2)
    const b = bytes(3)
    const out = await collect(raw().decode([new Uint8ArrayList(a), new Uint8ArrayList(a, b)]))
    expect(out).toHaveLength(3)
    expect(out[0]).toBe(a)
    expect(out[1]).toBe(a)
    expect(out[2]).toBe(b)
  })

  it('raw() offers its synchronous steps, as the other codecs do', () => {
    const codec = raw()
    expect(codec.createDecoder).toBeTypeOf('function')
    expect(codec.encodeFrame).toBeTypeOf('function')
    expect(offersBatches(codec.decode([bytes(1)]))).toBe(true)
  })

  it('raw() skips empty chunks', async () => {
    expect(hex(await collect(raw().decode([bytes(), bytes(1), new Uint8ArrayList()])))).toEqual(['01'])
  })

  it('raw() encodes each message as it is', async () => {
    const a = bytes(9)
    expect((await collect(raw().encode([a])))[0]).toBe(a)
  })

  it('raw() keeps every byte, in order, under any chunking (property)', async () => {
    // raw() has no message boundaries to keep: what survives re-chunking is the byte stream, and
    // each decoded message is a non-empty run of it.
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 500, maxLength: 1500 })),
          {
            maxLength: 12,
          },
        ),
        chunkingArb,
        async (messages, chunking) => {
          const codec = raw()
          const wire = await encodeAll(codec, messages)
          expect(hex([wire])).toEqual(hex([concatBytes(messages)]))
          // Both decoders: raw()'s own decode, and its step (RawDecoder) as framed() drives it.
          for (const decode of [codec.decode, decodeWith(() => new RawDecoder())]) {
            const decoded = await collect(decode(chunking(wire)))
            expect(decoded.every((m) => m.length > 0)).toBe(true)
            expect(hex([concatBytes(decoded)])).toEqual(hex([wire]))
          }
        },
      ),
      { seed: SEED, numRuns: 200 },
    )
  })

  it('RawDecoder returns the rest of each chunk and take() the unread rest', () => {
    const decoder = new RawDecoder()
    decoder.push(bytes(1, 2))
    expect(hex([decoder.next()])).toEqual(['0102'])
    expect(decoder.next()).toBeUndefined()
    decoder.push(bytes(3))
    expect(hex([concatBytes(decoder.take())])).toEqual(['03'])
    expect(decoder.end()).toBeUndefined()
  })
})
