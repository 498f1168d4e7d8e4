import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { RawDecoder, raw } from '../../src/framing/raw.js'
import { bytes, collect, concatBytes, hex } from './helpers.js'

describe('raw()', () => {
  it('raw() yields each chunk as it arrives, without copying', async () => {
    const a = bytes(1, 2)
    const b = bytes(3)
    const out = await collect(raw().decode([a, b]))
    expect(out[0]).toBe(a)
    expect(out[1]).toBe(b)
  })

  it('raw() yields a one-buffer Uint8ArrayList as its buffer and a larger one as its bytes', async () => {
    const a = bytes(1, 2)
    const [single, joined] = await collect(
      raw().decode([new Uint8ArrayList(a), new Uint8ArrayList(a, bytes(3))]),
    )
    expect(single).toBe(a)
    expect(hex([joined])).toEqual(['010203'])
  })

  it('raw() skips empty chunks', async () => {
    expect(hex(await collect(raw().decode([bytes(), bytes(1), new Uint8ArrayList()])))).toEqual(['01'])
  })

  it('raw() encodes each message as it is', async () => {
    const a = bytes(9)
    expect((await collect(raw().encode([a])))[0]).toBe(a)
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
