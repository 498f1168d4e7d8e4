import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { FrameTooLongError, InvalidFrameError } from '../../src/errors.js'
import { lines } from '../../src/framing/lines.js'
import { MAX_LINE_LENGTH } from '../../src/limits.js'
import {
  bytes,
  chunkingArb,
  chunksOf,
  collect,
  decodeAll,
  encodeAll,
  fromUtf8,
  rejectsWith,
  SEED,
  toAsync,
  utf8,
} from './helpers.js'

describe('lines()', () => {
  // Annotated boundary cases: [what, chunks as text, expected lines].
  const table: Array<[string, string[], string[]]> = [
    ['one line', ['hello\n'], ['hello']],
    ['two lines in one chunk', ['a\nb\n'], ['a', 'b']],
    ['empty lines', ['\n\n'], ['', '']],
    ['\\r\\n endings', ['a\r\nb\r\n'], ['a', 'b']],
    ['\\r\\n split between \\r and \\n', ['a\r', '\nb\n'], ['a', 'b']],
    ['newline alone in a chunk', ['abc', '\n', 'def\n'], ['abc', 'def']],
    ['line spread over three chunks', ['ab', 'cd', 'ef\n'], ['abcdef']],
    ['a \\r inside a line is kept', ['a\rb\n'], ['a\rb']],
    ['only the last \\r is removed', ['a\r\r\n'], ['a\r']],
    ['final line without newline is yielded', ['a\nlast'], ['a', 'last']],
    ['final \\r without newline is removed', ['a\r'], ['a']],
    ['stream ending with newline yields no empty line', ['a\n'], ['a']],
    ['empty stream', [], []],
    ['empty chunks', ['', 'a', '', '\n', ''], ['a']],
  ]
  for (const [what, chunks, expected] of table) {
    it(`lines() decodes: ${what}`, async () => {
      expect(await decodeAll(lines(), chunks.map(utf8))).toEqual(expected)
    })
  }

  it('lines() decodes multi-byte UTF-8 split inside a character', async () => {
    const wire = utf8('añ€😀\n')
    for (let size = 1; size <= wire.length; size++) {
      expect(await decodeAll(lines(), chunksOf(wire, size))).toEqual(['añ€😀'])
    }
  })

  it('lines() keeps a leading byte-order mark', async () => {
    expect(await decodeAll(lines(), [utf8('\uFEFFa\n')])).toEqual(['\uFEFFa'])
  })

  it('lines() encodes each message followed by \\n', async () => {
    expect(fromUtf8(await encodeAll(lines(), ['a', '', 'ñ']))).toBe('a\n\nñ\n')
  })

  it('lines() round-trips when re-chunked at every size from 1 byte', async () => {
    const messages = ['', 'x', 'héllo wörld', 'y'.repeat(3000), '', '😀'.repeat(10)]
    const wire = await encodeAll(lines(), messages)
    for (let size = 1; size <= 100; size++) {
      expect(await decodeAll(lines(), chunksOf(wire, size))).toEqual(messages)
    }
  })

  it('lines() round-trips any lines under any chunking (property)', async () => {
    const line = fc
      .oneof(fc.string({ unit: 'binary', maxLength: 50 }), fc.string({ unit: 'grapheme', maxLength: 2000 }))
      .map((s) => s.replaceAll('\n', ' ').replace(/\r$/, ''))
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 15 }), chunkingArb, async (messages, chunking) => {
        const wire = await encodeAll(lines(), messages)
        expect(await decodeAll(lines(), chunking(wire))).toEqual(messages)
      }),
      { seed: SEED, numRuns: 200 },
    )
  })

  it('lines() decodes Uint8ArrayList chunks and sync sources', async () => {
    const list = new Uint8ArrayList(utf8('ab'), utf8('c\nd'), utf8('\n'))
    expect(await collect(lines().decode([list]))).toEqual(['abc', 'd'])
  })

  it('lines() accepts a line of exactly maxLength bytes and fails at maxLength + 1', async () => {
    const codec = lines({ maxLength: 4 })
    expect(await decodeAll(codec, [utf8('abcd\n')])).toEqual(['abcd'])
    expect(await decodeAll(codec, [utf8('abcd\r\n')])).toEqual(['abcd'])
    expect(await decodeAll(codec, chunksOf(utf8('abcd\r\n'), 1))).toEqual(['abcd'])
    const err = await rejectsWith(decodeAll(codec, [utf8('abcde\n')]), FrameTooLongError)
    expect(err.message).toBe('Cannot decode frame: length 5 exceeds maxLength 4')
    await rejectsWith(decodeAll(codec, chunksOf(utf8('abcde\n'), 1)), FrameTooLongError)
    await rejectsWith(decodeAll(codec, [utf8('abcde')]), FrameTooLongError)
    await rejectsWith(decodeAll(codec, [utf8('ab€')]), FrameTooLongError) // maxLength counts bytes
    await rejectsWith(encodeAll(codec, ['abcde']), FrameTooLongError)
    expect(fromUtf8(await encodeAll(codec, ['abcd']))).toBe('abcd\n')
  })

  it('lines() fails with FrameTooLongError on 100 MiB without a newline, having read about maxLength', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x61)
    let pulled = 0
    async function* endless() {
      for (let i = 0; i < 1600; i++) {
        pulled++
        yield chunk // 1600 × 64 KiB = 100 MiB, produced lazily
      }
    }
    const err = await rejectsWith(collect(lines().decode(endless())), FrameTooLongError)
    expect(err.message).toBe(
      `Cannot decode frame: 131072 bytes without a delimiter exceed maxLength ${MAX_LINE_LENGTH}`,
    )
    expect(pulled).toBe(2) // the limit (64 KiB) plus one chunk
  })

  it('lines() fails with InvalidFrameError on invalid UTF-8, showing the bytes', async () => {
    const err = await rejectsWith(decodeAll(lines(), [bytes(0x61, 0xff, 0x62, 0x0a)]), InvalidFrameError)
    expect(err.message).toBe('Cannot decode frame: invalid UTF-8 in <61 ff 62>')
    const long = await rejectsWith(
      decodeAll(lines(), [new Uint8Array(100).fill(0xc0), bytes(0x0a)]),
      InvalidFrameError,
    )
    expect(long.message).toMatch(/\.\.\. \(100 bytes\)>$/)
  })

  it('lines() refuses to encode a message containing \\n or ending with \\r', async () => {
    const newline = await rejectsWith(encodeAll(lines(), ['a\nb']), InvalidFrameError)
    expect(newline.message).toBe('Cannot encode line: \\n at index 1 of "a\\nb"')
    await rejectsWith(encodeAll(lines(), ['a\r']), InvalidFrameError)
    expect(fromUtf8(await encodeAll(lines(), ['a\rb']))).toBe('a\rb\n')
  })

  it('lines() throws RangeError at once for a bad maxLength', () => {
    expect(() => lines({ maxLength: -1 })).toThrow(RangeError)
    expect(() => lines({ maxLength: Number.NaN })).toThrow(RangeError)
  })

  it('lines() encodes from sync and async sources', async () => {
    expect(fromUtf8(await encodeAll(lines(), ['a']))).toBe('a\n')
    const chunks = await collect(lines().encode(toAsync(['b', 'c'])))
    expect(chunks.map((c) => fromUtf8(c as Uint8Array))).toEqual(['b\n', 'c\n'])
  })
})
