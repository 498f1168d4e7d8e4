import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { FrameTooLongError, InvalidFrameError } from '../../src/errors.js'
import { COPY_THRESHOLD } from '../../src/framing/buffers.js'
import { delimited } from '../../src/framing/delimited.js'
import { DelimiterDecoder, indexOfBytes } from '../../src/framing/delimiter-decoder.js'
import {
  bytes,
  chunkingArb,
  chunksOf,
  collect,
  concatBytes,
  decodeAll,
  encodeAll,
  fromUtf8,
  hex,
  rejectsWith,
  SEED,
  utf8,
} from './helpers.js'

const texts = async (delimiter: string, chunks: string[]): Promise<string[]> =>
  (await decodeAll(delimited(delimiter), chunks.map(utf8))).map(fromUtf8)

describe('delimited()', () => {
  // Annotated boundary cases: [what, delimiter, chunks as text, expected frames].
  const table: Array<[string, string, string[], string[]]> = [
    ['\\0 delimiter', '\0', ['a\0b\0'], ['a', 'b']],
    ['empty frames', '\0', ['\0\0'], ['', '']],
    ['\\r\\n delimiter', '\r\n', ['a\r\nb\r\n'], ['a', 'b']],
    ['\\r\\n split across chunks', '\r\n', ['a\r', '\nb\r\n'], ['a', 'b']],
    ['a lone \\r is data for \\r\\n', '\r\n', ['a\rb\r\n'], ['a\rb']],
    ['\\r then \\r\\n across chunks', '\r\n', ['a\r', '\r', '\n'], ['a\r']],
    ['multi-byte delimiter in one chunk', '--', ['x--y--'], ['x', 'y']],
    ['3-byte delimiter split over 3 chunks', 'END', ['xE', 'N', 'Dy', 'END'], ['x', 'y']],
    ['delimiter prefix then mismatch', 'END', ['xEN', 'xEND'], ['xENx']],
    ['partial delimiter at chunk end then real one', 'END', ['aEE', 'ND'], ['aE']],
    ['delimiter at the very start of a chunk', 'END', ['ab', 'ENDcd', 'END'], ['ab', 'cd']],
    ['self-overlapping delimiter aa', 'aa', ['xaaay', 'aa'], ['x', 'ay']],
    ['multi-byte UTF-8 delimiter', '¶', ['a¶b¶'], ['a', 'b']],
    ['final frame without delimiter is yielded', '\0', ['a\0tail'], ['a', 'tail']],
    ['partial delimiter at end of stream is data', '\r\n', ['a\r'], ['a\r']],
  ]
  for (const [what, delimiter, chunks, expected] of table) {
    it(`delimited() decodes: ${what}`, async () => {
      expect(await texts(delimiter, chunks)).toEqual(expected)
    })
  }

  it('delimited() accepts a Uint8Array delimiter and copies it', async () => {
    const delimiter = bytes(0xff, 0xfe)
    const codec = delimited(delimiter)
    delimiter[0] = 0 // the caller reusing their buffer does not change the codec
    expect(hex(await decodeAll(codec, [bytes(1, 0xff, 0xfe, 2, 0xff), bytes(0xfe)]))).toEqual(['01', '02'])
  })

  it('delimited() round-trips when re-chunked at every size from 1 byte', async () => {
    const codec = delimited('\r\n')
    const messages = ['', 'a', 'abc\r', 'x'.repeat(2000), ''].map(utf8)
    const wire = await encodeAll(codec, messages)
    for (let size = 1; size <= 64; size++) {
      expect(hex(await decodeAll(codec, chunksOf(wire, size)))).toEqual(hex(messages))
    }
  })

  it('delimited() round-trips any frames under any chunking, for any delimiter (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 4 }),
        fc.array(
          fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 1000, maxLength: 2000 })),
          {
            maxLength: 10,
          },
        ),
        chunkingArb,
        async (delimiter, candidates, chunking) => {
          const codec = delimited(delimiter)
          // Only messages the codec can encode: in which the delimiter is not found before their end.
          const messages = candidates.filter(
            (m) => indexOfBytes(concatBytes([m, delimiter]), delimiter) === m.length,
          )
          const wire = await encodeAll(codec, messages)
          expect(hex(await decodeAll(codec, chunking(wire)))).toEqual(hex(messages))
        },
      ),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('delimited() yields frames within a chunk as views of it (no copy)', async () => {
    const chunk = utf8('a\0b\0')
    const frames = await decodeAll(delimited('\0'), [chunk])
    expect(frames.every((f) => f.buffer === chunk.buffer)).toBe(true)
  })

  it('delimited() decodes Uint8ArrayList chunks', async () => {
    const list = new Uint8ArrayList(utf8('a\r'), utf8('\nb'), utf8('\r\n'))
    expect((await collect(delimited('\r\n').decode([list]))).map(fromUtf8)).toEqual(['a', 'b'])
  })

  it('delimited() accepts a frame of exactly maxLength bytes and fails at maxLength + 1', async () => {
    const codec = delimited('\r\n', { maxLength: 3 })
    expect((await decodeAll(codec, chunksOf(utf8('abc\r\n'), 1))).map(fromUtf8)).toEqual(['abc'])
    const err = await rejectsWith(decodeAll(codec, [utf8('abcd\r\n')]), FrameTooLongError)
    expect(err.message).toBe('Cannot decode frame: length 4 exceeds maxLength 3')
    await rejectsWith(decodeAll(codec, chunksOf(utf8('abcd\r\n'), 1)), FrameTooLongError)
    await rejectsWith(decodeAll(codec, [utf8('abcd')]), FrameTooLongError)
    await rejectsWith(encodeAll(codec, [utf8('abcd')]), FrameTooLongError)
  })

  it('delimited() fails with FrameTooLongError having buffered no more than maxLength', async () => {
    let pulled = 0
    async function* endless() {
      for (let i = 0; i < 1000; i++) {
        pulled++
        yield new Uint8Array(1000).fill(1)
      }
    }
    await rejectsWith(collect(delimited('\0', { maxLength: 10_000 }).decode(endless())), FrameTooLongError)
    expect(pulled).toBe(11)
  })

  it('delimited() refuses to encode a message in which the delimiter would be found', async () => {
    const inside = await rejectsWith(encodeAll(delimited('\0'), [bytes(1, 0, 2)]), InvalidFrameError)
    expect(inside.message).toBe('Cannot encode frame: delimiter <00> found at byte 1 of <01 00 02>')
    // 'a' + delimiter 'aa' = 'aaa': the delimiter would be found at byte 0.
    await rejectsWith(encodeAll(delimited('aa'), [utf8('a')]), InvalidFrameError)
    await rejectsWith(encodeAll(delimited('\r\n'), [utf8('x\r\ny')]), InvalidFrameError)
    await rejectsWith(encodeAll(delimited('aa'), [utf8(`${'b'.repeat(5000)}a`)]), InvalidFrameError)
    expect(fromUtf8(await encodeAll(delimited('\r\n'), [utf8('x\r')]))).toBe('x\r\r\n')
  })

  it('delimited() copies frames of up to COPY_THRESHOLD bytes, delimiter included, and references larger messages', async () => {
    for (const delimiter of ['\0', '\r\n']) {
      const codec = delimited(delimiter, { maxLength: COPY_THRESHOLD * 2 })
      const d = delimiter.length
      const fits = new Uint8Array(COPY_THRESHOLD - d).fill(1)
      const over = new Uint8Array(COPY_THRESHOLD - d + 1).fill(2)
      for (const [a, b] of [
        await collect(codec.encode([fits, over])),
        [codec.encodeFrame?.(fits), codec.encodeFrame?.(over)],
      ]) {
        expect(a, delimiter).toBeInstanceOf(Uint8Array)
        expect((a as Uint8Array).length, delimiter).toBe(COPY_THRESHOLD)
        expect(b, delimiter).toBeInstanceOf(Uint8ArrayList)
        const [payload, tail] = [...(b as Uint8ArrayList)]
        expect(payload, delimiter).toBe(over)
        expect(fromUtf8(tail as Uint8Array), delimiter).toBe(delimiter)
      }
      const wire = await encodeAll(codec, [fits, over])
      expect(hex(await decodeAll(codec, chunksOf(wire, 4096))), delimiter).toEqual(hex([fits, over]))
    }
  })

  it('delimited() throws TypeError at once for an empty or missing delimiter', () => {
    expect(() => delimited('')).toThrow(TypeError)
    expect(() => delimited(new Uint8Array(0))).toThrow(TypeError)
    expect(() => delimited(7 as unknown as string)).toThrow(TypeError)
    expect(() => delimited('\0', { maxLength: 0 })).toThrow(RangeError)
  })
})

describe('DelimiterDecoder', () => {
  it('DelimiterDecoder returns one frame per next() and keeps the rest for take()', () => {
    const decoder = new DelimiterDecoder(utf8('\n'), 100)
    decoder.push(utf8('a\nb\nrest'))
    expect(fromUtf8(decoder.next() as Uint8Array)).toBe('a')
    expect(fromUtf8(concatBytes(decoder.take()))).toBe('b\nrest')
  })

  it('DelimiterDecoder.take() includes a frame in progress from earlier chunks', () => {
    const decoder = new DelimiterDecoder(utf8('END'), 100)
    decoder.push(utf8('abE'))
    expect(decoder.next()).toBeUndefined()
    decoder.push(utf8('Nx'))
    expect(decoder.next()).toBeUndefined()
    expect(fromUtf8(concatBytes(decoder.take()))).toBe('abENx')
  })

  it('DelimiterDecoder.end() yields the unterminated rest, then nothing', () => {
    const decoder = new DelimiterDecoder(utf8('\n'), 100, true)
    decoder.push(utf8('x\r'))
    expect(decoder.next()).toBeUndefined()
    expect(fromUtf8(decoder.end() as Uint8Array)).toBe('x')
    expect(decoder.end()).toBeUndefined()
  })
})
