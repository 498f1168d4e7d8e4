import { describe, expect, it } from 'vitest'
import { InvalidFrameError } from '../../src/errors.js'
import type { Codec } from '../../src/framing/codec.js'
import { delimited } from '../../src/framing/delimited.js'
import { lengthPrefixed } from '../../src/framing/length-prefixed.js'
import { lines } from '../../src/framing/lines.js'
import { text } from '../../src/framing/text.js'
import { bytes, chunksOf, decodeAll, encodeAll, rejectsWith } from './helpers.js'

describe('text()', () => {
  it('text() layers UTF-8 strings over length-prefixed frames', async () => {
    const codec = text(lengthPrefixed())
    expect(codec.kind).toBe('text')
    const messages = ['', 'héllo', 'a\nb', '😀'.repeat(500)]
    const wire = await encodeAll(codec, messages)
    expect(wire[0]).toBe(0) // the empty string is an empty frame
    for (const size of [1, 3, wire.length])
      expect(await decodeAll(codec, chunksOf(wire, size))).toEqual(messages)
  })

  it('text() layers over delimited frames', async () => {
    const codec = text(delimited('\0'))
    expect(await decodeAll(codec, [await encodeAll(codec, ['a', 'b'])])).toEqual(['a', 'b'])
  })

  it('text() fails with InvalidFrameError showing the bytes of invalid UTF-8', async () => {
    const err = await rejectsWith(
      decodeAll(text(lengthPrefixed()), [bytes(2, 0xc3, 0x28)]),
      InvalidFrameError,
    )
    expect(err.message).toBe('Cannot decode frame: invalid UTF-8 in <c3 28>')
    expect(err.cause).toBeInstanceOf(TypeError)
  })

  it('text() works over a codec that has only encode and decode', async () => {
    const inner = lengthPrefixed()
    const minimal: Codec<Uint8Array> = { encode: inner.encode, decode: inner.decode }
    const codec = text(minimal)
    expect(codec.createDecoder).toBeUndefined()
    expect(await decodeAll(codec, [await encodeAll(codec, ['x', 'yz'])])).toEqual(['x', 'yz'])
  })

  it('text() throws TypeError at once over a text codec', () => {
    expect(() => text(lines() as unknown as Codec<Uint8Array>)).toThrow(TypeError)
  })
})
