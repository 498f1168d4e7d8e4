import fc from 'fast-check'
import * as lp from 'it-length-prefixed'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { FrameTooLongError, InvalidFrameError, UnexpectedEndError } from '../../src/errors.js'
import { COPY_THRESHOLD } from '../../src/framing/buffers.js'
import type { LengthEncoding } from '../../src/framing/length-prefixed.js'
import { LENGTH_ENCODINGS, LengthPrefixedDecoder, lengthPrefixed } from '../../src/framing/length-prefixed.js'
import { MAX_FRAME_LENGTH } from '../../src/limits.js'
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
  toAsync,
} from './helpers.js'

/** it-length-prefixed's `lengthEncoder`/`lengthDecoder` options for each fixed width. */
function theirOptions(encoding: LengthEncoding): {
  encoder?: lp.LengthEncoderFunction
  decoder?: lp.LengthDecoderFunction
} {
  if (encoding === 'varint') return {}
  const width = encoding === 'uint8' ? 1 : encoding === 'uint16be' ? 2 : 4
  const le = encoding === 'uint32le'
  const encoder = Object.assign(
    (value: number) => {
      const out = new Uint8Array(width)
      const view = new DataView(out.buffer)
      if (width === 1) view.setUint8(0, value)
      else if (width === 2) view.setUint16(0, value)
      else view.setUint32(0, value, le)
      return out
    },
    { bytes: width },
  )
  const decoder = Object.assign(
    (data: Uint8ArrayList) => {
      if (width === 1) return data.getUint8(0) // throws RangeError while short: "need more"
      if (width === 2) return data.getUint16(0)
      return data.getUint32(0, le)
    },
    { bytes: width },
  )
  return { encoder, decoder }
}

const maxFor = (encoding: LengthEncoding): number =>
  encoding === 'uint8' ? 255 : encoding === 'uint16be' ? 65_535 : 70_000

const sample = (encoding: LengthEncoding): Uint8Array[] =>
  [0, 1, 127, 128, 255, 300, 16_383, 16_384, 65_535, 70_000]
    .filter((n) => n <= maxFor(encoding))
    .map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff))

describe('lengthPrefixed()', () => {
  // Annotated boundary cases: [what, chunks of wire bytes, expected payloads].
  const table: Array<[string, Uint8Array[], number[][]]> = [
    ['one frame in one chunk', [bytes(2, 7, 8)], [[7, 8]]],
    ['empty payload', [bytes(0)], [[]]],
    ['two empty payloads in one chunk', [bytes(0, 0)], [[], []]],
    ['two frames in one chunk', [bytes(1, 9, 2, 7, 8)], [[9], [7, 8]]],
    ['payload split across chunks', [bytes(3, 1), bytes(2), bytes(3)], [[1, 2, 3]]],
    ['prefix alone, payload next', [bytes(2), bytes(5, 6)], [[5, 6]]],
    [
      'two-byte varint split byte by byte',
      [bytes(0x80), bytes(0x01), new Uint8Array(128)],
      [Array(128).fill(0)],
    ],
    ['next prefix at the end of a chunk', [bytes(1, 4, 1), bytes(5)], [[4], [5]]],
    ['empty chunks are ignored', [bytes(), bytes(1), bytes(), bytes(9), bytes()], [[9]]],
  ]
  for (const [what, chunks, expected] of table) {
    it(`lengthPrefixed() decodes: ${what}`, async () => {
      const out = await decodeAll(lengthPrefixed(), chunks)
      expect(out.map((m) => [...m])).toEqual(expected)
    })
  }

  it('lengthPrefixed() writes the same bytes as protobuf delimited (LEB128 varint)', async () => {
    expect([...(await encodeAll(lengthPrefixed(), [new Uint8Array(300)])).subarray(0, 2)]).toEqual([
      0xac, 0x02,
    ])
    expect([...(await encodeAll(lengthPrefixed(), [bytes(1, 2)]))]).toEqual([2, 1, 2])
  })

  it('lengthPrefixed() writes each fixed-width prefix in its byte order', async () => {
    const payload = new Uint8Array(258)
    const prefixes: Record<LengthEncoding, number[]> = {
      varint: [0x82, 0x02],
      uint8: [],
      uint16be: [0x01, 0x02],
      uint32be: [0, 0, 1, 2],
      uint32le: [2, 1, 0, 0],
    }
    for (const encoding of LENGTH_ENCODINGS) {
      if (encoding === 'uint8') continue
      const wire = await encodeAll(lengthPrefixed({ lengthEncoding: encoding }), [payload])
      expect([...wire.subarray(0, prefixes[encoding].length)], encoding).toEqual(prefixes[encoding])
      expect(wire.length).toBe(prefixes[encoding].length + 258)
    }
    expect([...(await encodeAll(lengthPrefixed({ lengthEncoding: 'uint8' }), [bytes(9)]))]).toEqual([1, 9])
  })

  for (const encoding of LENGTH_ENCODINGS) {
    it(`lengthPrefixed({ lengthEncoding: '${encoding}' }) decodes what it-length-prefixed encodes`, async () => {
      const messages = sample(encoding)
      const { encoder } = theirOptions(encoding)
      const wire = concatBytes(
        await collect(lp.encode(messages, { lengthEncoder: encoder, maxDataLength: 1e6 })),
      )
      for (const size of [1, 7, 4096, wire.length]) {
        const out = await decodeAll(lengthPrefixed({ lengthEncoding: encoding }), chunksOf(wire, size))
        expect(hex(out)).toEqual(hex(messages))
      }
    })

    it(`lengthPrefixed({ lengthEncoding: '${encoding}' }) encodes what it-length-prefixed decodes`, async () => {
      const messages = sample(encoding)
      const { decoder } = theirOptions(encoding)
      const wire = await encodeAll(lengthPrefixed({ lengthEncoding: encoding }), messages)
      const theirs = await collect(
        lp.decode(toAsync(chunksOf(wire, 1000)), { lengthDecoder: decoder, maxDataLength: 1e6 }),
      )
      expect(hex(theirs.map((list) => list.subarray()))).toEqual(hex(messages))
    })
  }

  it('lengthPrefixed() round-trips when re-chunked at every size from 1 byte', async () => {
    const messages = [
      bytes(),
      bytes(1),
      new Uint8Array(127).fill(2),
      new Uint8Array(128).fill(3),
      new Uint8Array(5000),
    ]
    const wire = await encodeAll(lengthPrefixed(), messages)
    for (let size = 1; size <= 300; size++) {
      expect(hex(await decodeAll(lengthPrefixed(), chunksOf(wire, size)))).toEqual(hex(messages))
    }
  })

  it('lengthPrefixed() round-trips any messages under any chunking (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...LENGTH_ENCODINGS),
        fc.array(
          fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 1000, maxLength: 3000 })),
          {
            maxLength: 12,
          },
        ),
        chunkingArb,
        async (encoding, generated, chunking) => {
          const messages = generated.map((m) => m.subarray(0, maxFor(encoding)))
          const codec = lengthPrefixed({ lengthEncoding: encoding })
          const wire = await encodeAll(codec, messages)
          expect(hex(await decodeAll(codec, chunking(wire)))).toEqual(hex(messages))
        },
      ),
      { seed: SEED, numRuns: 200 },
    )
  })

  it('lengthPrefixed() encodes small messages as one buffer and large ones as a list without copying', async () => {
    const small = bytes(1, 2, 3)
    const large = new Uint8Array(100_000)
    const [a, b] = await collect(lengthPrefixed().encode([small, large]))
    expect(a).toBeInstanceOf(Uint8Array)
    expect([...(a as Uint8Array)]).toEqual([3, 1, 2, 3])
    expect(b).toBeInstanceOf(Uint8ArrayList)
    const bufs = [...(b as Uint8ArrayList)]
    expect(bufs[1]).toBe(large)
  })

  it('lengthPrefixed() copies frames of up to COPY_THRESHOLD bytes, prefix included, and references larger payloads', async () => {
    // [encoding, prefix bytes of a payload near COPY_THRESHOLD]; uint8 cannot announce that much.
    const prefixes: Array<[LengthEncoding, number]> = [
      ['varint', 2],
      ['uint16be', 2],
      ['uint32be', 4],
      ['uint32le', 4],
    ]
    for (const [encoding, prefix] of prefixes) {
      const codec = lengthPrefixed({ lengthEncoding: encoding })
      const fits = new Uint8Array(COPY_THRESHOLD - prefix).fill(1)
      const over = new Uint8Array(COPY_THRESHOLD - prefix + 1).fill(2)
      for (const [a, b] of [
        await collect(codec.encode([fits, over])),
        [codec.encodeFrame?.(fits), codec.encodeFrame?.(over)],
      ]) {
        expect(a, encoding).toBeInstanceOf(Uint8Array)
        expect((a as Uint8Array).length, encoding).toBe(COPY_THRESHOLD)
        expect(b, encoding).toBeInstanceOf(Uint8ArrayList)
        const [head, payload] = [...(b as Uint8ArrayList)]
        expect(head?.length, encoding).toBe(prefix)
        expect(payload, encoding).toBe(over)
      }
      const wire = await encodeAll(codec, [fits, over])
      expect(hex(await decodeAll(codec, chunksOf(wire, 4096))), encoding).toEqual(hex([fits, over]))
    }
  })

  it('lengthPrefixed() decodes a frame within one chunk as a view of that chunk (no copy)', async () => {
    const chunk = bytes(2, 7, 8, 1, 9)
    const [first, second] = await decodeAll(lengthPrefixed(), [chunk])
    expect(first?.buffer).toBe(chunk.buffer)
    expect(second?.buffer).toBe(chunk.buffer)
  })

  it('lengthPrefixed() copies a frame spanning chunks once, into a buffer of its announced size', async () => {
    const [frame] = await decodeAll(lengthPrefixed(), [bytes(4, 1), bytes(2, 3), bytes(4)])
    expect([...(frame as Uint8Array)]).toEqual([1, 2, 3, 4])
    expect(frame?.buffer.byteLength).toBe(4)
  })

  it('lengthPrefixed() decodes Uint8ArrayList chunks and sync sources', async () => {
    const wire = await encodeAll(lengthPrefixed(), [bytes(1, 2), bytes(3)])
    const list = new Uint8ArrayList(wire.subarray(0, 2), wire.subarray(2))
    expect(await collect(lengthPrefixed().decode([list]))).toEqual([bytes(1, 2), bytes(3)])
  })

  it('lengthPrefixed() accepts a payload of exactly maxLength and fails at maxLength + 1', async () => {
    const codec = lengthPrefixed({ maxLength: 10 })
    const wire = await encodeAll(codec, [new Uint8Array(10)])
    expect(await decodeAll(codec, [wire])).toEqual([new Uint8Array(10)])
    const err = await rejectsWith(decodeAll(codec, [bytes(11), new Uint8Array(11)]), FrameTooLongError)
    expect(err.message).toBe('Cannot decode frame: length 11 exceeds maxLength 10')
    await rejectsWith(encodeAll(codec, [new Uint8Array(11)]), FrameTooLongError)
  })

  it('lengthPrefixed() fails with FrameTooLongError on a prefix announcing 4 GiB, before reading payload', async () => {
    let pulled = 0
    async function* hostile() {
      pulled++
      yield bytes(0x80, 0x80, 0x80, 0x80, 0x10) // 2^32
      pulled++
      yield new Uint8Array(1024)
    }
    const err = await rejectsWith(collect(lengthPrefixed().decode(hostile())), FrameTooLongError)
    expect(err.message).toBe(`Cannot decode frame: length 4294967296 exceeds maxLength ${MAX_FRAME_LENGTH}`)
    expect(pulled).toBe(1)
    const fixedWidth = lengthPrefixed({ lengthEncoding: 'uint32be' })
    await rejectsWith(decodeAll(fixedWidth, [bytes(0xff, 0xff, 0xff, 0xff)]), FrameTooLongError)
  })

  it('lengthPrefixed() fails with InvalidFrameError on a varint longer than 5 bytes (an 11-byte one)', async () => {
    const eleven = bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)
    const err = await rejectsWith(decodeAll(lengthPrefixed(), [eleven]), InvalidFrameError)
    expect(err.message).toMatch(/longer than 5 bytes/)
    await rejectsWith(decodeAll(lengthPrefixed(), chunksOf(eleven, 1)), InvalidFrameError)
    // A non-minimal but 5-byte varint is still a length.
    expect(await decodeAll(lengthPrefixed(), [bytes(0x81, 0x80, 0x80, 0x80, 0x00, 7)])).toEqual([bytes(7)])
  })

  it('lengthPrefixed() fails with UnexpectedEndError when the stream ends mid-payload or mid-prefix', async () => {
    const midPayload = await rejectsWith(decodeAll(lengthPrefixed(), [bytes(5, 1, 2)]), UnexpectedEndError)
    expect(midPayload.message).toBe('Cannot decode frame: stream ended after 2 of 5 payload bytes')
    await rejectsWith(decodeAll(lengthPrefixed(), [bytes(0x80)]), UnexpectedEndError)
    await rejectsWith(
      decodeAll(lengthPrefixed({ lengthEncoding: 'uint16be' }), [bytes(0)]),
      UnexpectedEndError,
    )
  })

  it('lengthPrefixed() refuses to encode more than a fixed-width prefix can hold', async () => {
    const err = await rejectsWith(
      encodeAll(lengthPrefixed({ lengthEncoding: 'uint8' }), [new Uint8Array(256)]),
      FrameTooLongError,
    )
    expect(err.message).toBe('Cannot encode frame: length 256 exceeds 255, the most a uint8 prefix can hold')
  })

  it('lengthPrefixed() throws TypeError or RangeError at once for bad options', () => {
    expect(() => lengthPrefixed({ lengthEncoding: 'uint64' as LengthEncoding })).toThrow(TypeError)
    expect(() => lengthPrefixed({ maxLength: 0 })).toThrow(RangeError)
    expect(() => lengthPrefixed({ maxLength: 1.5 })).toThrow(RangeError)
    expect(() => lengthPrefixed({ maxLength: 2 ** 32 })).toThrow(RangeError)
    expect(() => lengthPrefixed({ maxLength: '10' as unknown as number })).toThrow(TypeError)
  })

  it('lengthPrefixed() does not mutate its options object', () => {
    const options = Object.freeze({ maxLength: 5 })
    expect(() => lengthPrefixed(options)).not.toThrow()
  })
})

describe('LengthPrefixedDecoder', () => {
  it('LengthPrefixedDecoder returns frames one at a time without I/O', () => {
    const decoder = new LengthPrefixedDecoder(0, false, 100)
    decoder.push(bytes(1, 7, 2, 8))
    expect(decoder.next()).toEqual(bytes(7))
    expect(decoder.next()).toBeUndefined()
    decoder.push(bytes(9))
    expect(decoder.next()).toEqual(bytes(8, 9))
    expect(decoder.next()).toBeUndefined()
    expect(decoder.end()).toBeUndefined()
  })

  it('LengthPrefixedDecoder.take() hands back the prefix, partial payload and unread bytes in order', () => {
    const decoder = new LengthPrefixedDecoder(0, false, 1000)
    decoder.push(bytes(1, 7, 0x83))
    expect(decoder.next()).toEqual(bytes(7))
    expect(decoder.next()).toBeUndefined()
    decoder.push(bytes(0x01, 1, 2))
    expect(decoder.next()).toBeUndefined()
    expect(concatBytes(decoder.take())).toEqual(bytes(0x83, 0x01, 1, 2))
  })
})
