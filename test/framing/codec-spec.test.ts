import { describe, expect, it } from 'vitest'
import type { AnyCodec } from '../../src/framing/codec.js'
import { CODEC_SPECS, codec } from '../../src/framing/codec-spec.js'
import { bytes, decodeAll, encodeAll, fromUtf8, hex, utf8 } from './helpers.js'

/** Encodes one message built from `line` for the codec's kind, as a CLI reading stdin would. */
async function encodeLine(c: AnyCodec, line: string): Promise<Uint8Array> {
  switch (c.kind) {
    case 'bytes':
      return encodeAll(c, [utf8(line)])
    case 'text':
      return encodeAll(c, [line])
    case 'json':
      return encodeAll(c, [JSON.parse(line)])
  }
}

/** Decodes with any codec, switching on its kind. */
async function decodeAny(c: AnyCodec, chunks: Uint8Array[]): Promise<unknown[]> {
  switch (c.kind) {
    case 'bytes':
      return decodeAll(c, chunks)
    case 'text':
      return decodeAll(c, chunks)
    case 'json':
      return decodeAll(c, chunks)
  }
}

describe('codec()', () => {
  // Every grammar form: [spec, kind, a message as a stdin line, its wire bytes as hex].
  const table: Array<[string, AnyCodec['kind'], string, string]> = [
    ['raw', 'bytes', 'hi', '6869'],
    ['lines', 'text', 'hi', '68690a'],
    ['lp', 'bytes', 'hi', '026869'],
    ['lp:varint', 'bytes', 'hi', '026869'],
    ['lp:uint8', 'bytes', 'hi', '026869'],
    ['lp:uint16be', 'bytes', 'hi', '00026869'],
    ['lp:uint32be', 'bytes', 'hi', '000000026869'],
    ['lp:uint32le', 'bytes', 'hi', '020000006869'],
    ['fixed:2', 'bytes', 'hi', '6869'],
    ['delim:\\0', 'bytes', 'hi', '686900'],
    ['delim:\\r\\n', 'bytes', 'hi', '68690d0a'],
    ['delim:\\t', 'bytes', 'hi', '686909'],
    ['delim:\\n', 'bytes', 'hi', '68690a'],
    ['delim:\\\\', 'bytes', 'hi', '68695c'],
    ['delim:\\xff\\x00', 'bytes', 'hi', '6869ff00'],
    ['delim:;', 'bytes', 'hi', '68693b'],
    ['delim:¶', 'bytes', 'hi', '6869c2b6'],
    ['delim::', 'bytes', 'hi', '68693a'],
    ['text:lp', 'text', 'hi', '026869'],
    ['text:delim:\\0', 'text', 'hi', '686900'],
    ['text:lines', 'text', 'hi', '68690a'],
    ['json:lines', 'json', '{"a":1}', `${Buffer.from('{"a":1}\n').toString('hex')}`],
    ['json:lp:uint16be', 'json', '[1]', '00035b315d'],
    ['json:text:lp', 'json', '2', '0132'],
  ]
  for (const [spec, kind, line, wire] of table) {
    it(`codec('${spec}') is a ${kind} codec with the expected wire format`, async () => {
      const c = codec(spec)
      expect(c.kind).toBe(kind)
      const encoded = await encodeLine(c, line)
      expect(hex([encoded])).toEqual([wire])
      const [decoded] = await decodeAny(c, [encoded])
      const expected = kind === 'bytes' ? utf8(line) : kind === 'text' ? line : JSON.parse(line)
      if (kind === 'bytes') expect(fromUtf8(decoded as Uint8Array)).toBe(line)
      else expect(decoded).toEqual(expected)
    })
  }

  it('codec() passes maxLength to the codecs that have one', async () => {
    await expect(decodeAny(codec('lines', { maxLength: 2 }), [utf8('abc\n')])).rejects.toThrow(/maxLength 2/)
    await expect(decodeAny(codec('lp', { maxLength: 2 }), [bytes(3, 1, 2, 3)])).rejects.toThrow(/maxLength 2/)
    await expect(decodeAny(codec('delim:\\0', { maxLength: 2 }), [utf8('abc\0')])).rejects.toThrow(
      /maxLength 2/,
    )
  })

  const invalid = [
    '',
    'nope',
    'lp:uint64',
    'lp:',
    'fixed',
    'fixed:',
    'fixed:x',
    'fixed:-1',
    'delim:',
    'raw:1',
    'lines:x',
    'text:',
    'json:nope',
    'LP',
  ]
  for (const spec of invalid) {
    it(`codec('${spec}') fails with a TypeError listing the valid specs`, () => {
      expect(() => codec(spec)).toThrow(TypeError)
      expect(() => codec(spec)).toThrow(CODEC_SPECS.join(', '))
    })
  }

  it('codec() rejects unknown escapes, json over json and fixed:0', () => {
    expect(() => codec('delim:\\q')).toThrow(TypeError)
    expect(() => codec('delim:\\q')).toThrow('unknown escape "\\q"')
    expect(() => codec('delim:\\x4')).toThrow(TypeError)
    expect(() => codec('json:json:lines')).toThrow(TypeError)
    expect(() => codec('text:json:lp')).toThrow(TypeError)
    expect(() => codec('fixed:0')).toThrow(RangeError)
  })

  it('codec() lists every form in its error message', () => {
    expect(() => codec('?')).toThrow(
      'Unknown codec spec "?": expected one of raw, lines, lp, lp:<varint|uint8|uint16be|uint32be|uint32le>, fixed:<bytes>, delim:<delimiter>, text:<spec>, json:<spec>',
    )
  })
})
