import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FrameTooLongError, InvalidFrameError, UnexpectedEndError } from '../../src/errors.js'
import { type RespValue, resp, respCommand } from '../../src/framing/resp.js'
import { chunkingArb, chunksOf, decodeAll, encodeAll, fromUtf8, rejectsWith, SEED, utf8 } from './helpers.js'

const bulk = (text: string): RespValue => ({ type: 'bulk', value: utf8(text) })

/** Decodes `wire` (a string of latin1 bytes) fed one byte at a time and whole. */
async function decodeBoth(wire: string, codec = resp()): Promise<RespValue[]> {
  const data = new Uint8Array(Buffer.from(wire, 'latin1'))
  const whole = await decodeAll(codec, [data])
  expect(await decodeAll(codec, chunksOf(data, 1))).toEqual(whole)
  return whole
}

const scalar: fc.Arbitrary<RespValue> = fc.oneof(
  fc
    .string()
    .filter((s) => !/[\r\n]/.test(s))
    .map((value): RespValue => ({ type: 'simple', value })),
  fc
    .string()
    .filter((s) => !/[\r\n]/.test(s))
    .map((message): RespValue => ({ type: 'error', message })),
  fc.string().map((message): RespValue => ({ type: 'error', message, bulk: true })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((big): RespValue => {
    const n = Number(big)
    return { type: 'integer', value: Number.isSafeInteger(n) ? n : big }
  }),
  fc
    .uint8Array({ maxLength: 40 })
    .map((b): RespValue => ({ type: 'bulk', value: Uint8Array.of(13, 10, 0, ...b, 13, 10) })),
  fc.uint8Array({ maxLength: 40 }).map((value): RespValue => ({ type: 'bulk', value })),
  fc.constant<RespValue>({ type: 'null' }),
  fc.boolean().map((value): RespValue => ({ type: 'boolean', value })),
  fc.double().map((value): RespValue => ({ type: 'double', value: Object.is(value, -0) ? 0 : value })),
  fc.bigInt().map((value): RespValue => ({ type: 'bigNumber', value })),
  fc
    .tuple(fc.constantFrom('txt', 'mkd'), fc.string())
    .map(([format, value]): RespValue => ({ type: 'verbatim', format, value })),
)

const { value: valueArb } = fc.letrec<{ value: RespValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }).map((value): RespValue => ({ type: 'array', value })),
    fc.array(tie('value'), { maxLength: 4 }).map((value): RespValue => ({ type: 'set', value })),
    fc.array(tie('value'), { maxLength: 4 }).map((value): RespValue => ({ type: 'push', value })),
    fc
      .array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 })
      .map((value): RespValue => ({ type: 'map', value })),
    fc
      .tuple(fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 2 }), tie('value'))
      .map(([attributes, value]): RespValue => ({ type: 'attribute', attributes, value })),
  ),
}))

/**
 * Values as plain data, for `toEqual`: byte arrays (Buffer or Uint8Array views) as number arrays,
 * bigints and non-finite numbers as strings.
 */
const plain = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Array.from(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

describe('resp()', () => {
  it('any values survive encode → any re-chunking → decode (RESP3, nested, binary bulk)', async () => {
    const codec = resp({ protocol: 3 })
    await fc.assert(
      fc.asyncProperty(fc.array(valueArb, { maxLength: 8 }), chunkingArb, async (values, chunking) => {
        const wire = await encodeAll(codec, values)
        expect(plain(await decodeAll(codec, chunking(wire)))).toEqual(plain(values))
      }),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('encodes a command as an array of bulk strings ("Sending commands to a Redis server")', async () => {
    const codec = resp()
    const wire = await encodeAll(codec, [['SET', 'k', Uint8Array.of(0, 13, 10)]])
    expect(Buffer.from(wire).toString('latin1')).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\0\r\n\r\n')
    expect(fromUtf8(await encodeAll(codec, [['EXPIRE', 'é', 10]]))).toBe(
      '*3\r\n$6\r\nEXPIRE\r\n$2\r\né\r\n$2\r\n10\r\n',
    )
    expect(codec.encodeFrame(respCommand('PING'))).toEqual(utf8('*1\r\n$4\r\nPING\r\n'))
    expect(codec.kind).toBe('resp')
  })

  it('decodes the RESP2 types as the spec writes them', async () => {
    // "Simple strings", "Simple errors", "Integers", "Bulk strings", "Arrays", "Null elements in arrays"
    expect(
      plain(
        await decodeBoth(
          "+OK\r\n-ERR unknown command 'foo'\r\n:1000\r\n:-5\r\n:+3\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n" +
            '*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n*3\r\n$5\r\nhello\r\n$-1\r\n$5\r\nworld\r\n' +
            '*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n:9223372036854775807\r\n',
        ),
      ),
    ).toEqual(
      plain([
        { type: 'simple', value: 'OK' },
        { type: 'error', message: "ERR unknown command 'foo'" },
        { type: 'integer', value: 1000 },
        { type: 'integer', value: -5 },
        { type: 'integer', value: 3 },
        bulk('hello'),
        bulk(''),
        { type: 'null' },
        { type: 'null' },
        { type: 'array', value: [] },
        { type: 'array', value: [bulk('hello'), bulk('world')] },
        { type: 'array', value: [bulk('hello'), { type: 'null' }, bulk('world')] },
        {
          type: 'array',
          value: [
            { type: 'array', value: [1, 2, 3].map((value) => ({ type: 'integer', value })) },
            {
              type: 'array',
              value: [
                { type: 'simple', value: 'Hello' },
                { type: 'error', message: 'World' },
              ],
            },
          ],
        },
        { type: 'integer', value: 9223372036854775807n },
      ]),
    )
  })

  it('decodes the RESP3 types as the spec writes them', async () => {
    // "Nulls", "Booleans", "Doubles", "Big numbers", "Bulk errors", "Verbatim strings", "Maps",
    // "Attributes", "Sets", "Pushes"
    const values = await decodeBoth(
      '_\r\n#t\r\n#f\r\n,1.23\r\n,inf\r\n,-inf\r\n,nan\r\n,10\r\n(3492890328409238509324850943850943825024385\r\n' +
        '!21\r\nSYNTAX invalid syntax\r\n=15\r\ntxt:Some string\r\n%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n' +
        '|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n' +
        '~2\r\n+a\r\n:1\r\n>2\r\n+message\r\n+hi\r\n',
    )
    expect(values.slice(0, 4)).toEqual([
      { type: 'null' },
      { type: 'boolean', value: true },
      { type: 'boolean', value: false },
      { type: 'double', value: 1.23 },
    ])
    expect(values.slice(4, 7).map((v) => (v.type === 'double' ? v.value : undefined))).toEqual([
      Infinity,
      -Infinity,
      Number.NaN,
    ])
    expect(values[8]).toEqual({ type: 'bigNumber', value: 3492890328409238509324850943850943825024385n })
    expect(values[9]).toEqual({ type: 'error', message: 'SYNTAX invalid syntax', bulk: true })
    expect(values[10]).toEqual({ type: 'verbatim', format: 'txt', value: 'Some string' })
    expect(values[11]).toEqual({
      type: 'map',
      value: [
        [
          { type: 'simple', value: 'first' },
          { type: 'integer', value: 1 },
        ],
        [
          { type: 'simple', value: 'second' },
          { type: 'integer', value: 2 },
        ],
      ],
    })
    const attribute = values[12]
    expect(attribute?.type).toBe('attribute')
    if (attribute?.type === 'attribute') {
      expect(attribute.attributes[0]?.[0]).toEqual({ type: 'simple', value: 'key-popularity' })
      expect(attribute.value).toEqual({
        type: 'array',
        value: [
          { type: 'integer', value: 2039123 },
          { type: 'integer', value: 9543892 },
        ],
      })
    }
    expect(values[13]).toEqual({
      type: 'set',
      value: [
        { type: 'simple', value: 'a' },
        { type: 'integer', value: 1 },
      ],
    })
    expect(values[14]?.type).toBe('push')
    expect(values).toHaveLength(15)
  })

  it('decodes an error reply as a value, not a throw', async () => {
    const [reply] = await decodeAll(resp(), [
      utf8('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n'),
    ])
    expect(reply).toEqual({
      type: 'error',
      message: 'WRONGTYPE Operation against a key holding the wrong kind of value',
    })
  })

  it('encodes null per protocol, and refuses RESP3 types under protocol 2', async () => {
    expect(fromUtf8(await encodeAll(resp(), [{ type: 'null' }]))).toBe('$-1\r\n')
    expect(fromUtf8(await encodeAll(resp({ protocol: 3 }), [{ type: 'null' }]))).toBe('_\r\n')
    await rejectsWith(encodeAll(resp(), [{ type: 'boolean', value: true }]), TypeError)
    await rejectsWith(encodeAll(resp(), [{ type: 'simple', value: 'a\r\nb' }]), InvalidFrameError)
    await rejectsWith(encodeAll(resp(), ['PING' as never]), TypeError)
  })

  describe('hostile input', () => {
    const cases: Array<
      [
        string,
        string,
        typeof InvalidFrameError | typeof FrameTooLongError | typeof UnexpectedEndError,
        RegExp,
      ]
    > = [
      [
        'oversize bulk, refused at its header',
        '$1073741824\r\n',
        FrameTooLongError,
        /bulk length 1073741824 exceeds maxBulkLength 67108864/,
      ],
      ['oversize bulk error', '!100\r\n', FrameTooLongError, /maxBulkLength 10/],
      ['a line that never ends', `+${'x'.repeat(70_000)}`, FrameTooLongError, /exceeds maxLineLength 65536/],
      [
        'nesting past maxDepth',
        '*1\r\n'.repeat(129),
        FrameTooLongError,
        /nesting depth 129 exceeds maxDepth 128/,
      ],
      [
        'element count past maxElements',
        '*1048577\r\n',
        FrameTooLongError,
        /1048577 elements exceeds maxElements 1048576/,
      ],
      ['map entries past maxElements', '%1048577\r\n', FrameTooLongError, /1048577 elements/],
      ['a non-numeric integer', ':abc\r\n', InvalidFrameError, /integer not decimal digits/],
      ['an empty integer', ':\r\n', InvalidFrameError, /integer without digits/],
      [
        'a bulk not followed by CRLF',
        '$3\r\nabcde\r\n',
        InvalidFrameError,
        /bulk string not followed by CRLF/,
      ],
      ['an unknown type byte', '?x\r\n', InvalidFrameError, /unknown type byte 0x3f/],
      ['a negative length other than -1', '$-2\r\n', InvalidFrameError, /negative length other than -1/],
      ['a negative aggregate length', '*-5\r\n', InvalidFrameError, /negative length other than -1/],
      ['a null set', '~-1\r\n', InvalidFrameError, /negative length/],
      ['a bare LF', '+OK\n', InvalidFrameError, /line not ended by CRLF/],
      ['a bad boolean', '#x\r\n', InvalidFrameError, /boolean/],
      ['a bad double', ',1.2.3\r\n', InvalidFrameError, /double/],
      ['a verbatim without format', '=2\r\nab\r\n', InvalidFrameError, /verbatim/],
      ['truncated inside a line', '+OK', UnexpectedEndError, /inside a line/],
      ['truncated inside a bulk', '$10\r\nabc', UnexpectedEndError, /3 of 10 bytes/],
      ['truncated before a bulk CRLF', '$3\r\nabc', UnexpectedEndError, /inside a bulk string/],
      ['truncated inside an array', '*3\r\n:1\r\n', UnexpectedEndError, /2 more elements/],
    ]
    for (const [name, wire, error, message] of cases) {
      it(name, async () => {
        const codec = name === 'oversize bulk error' ? resp({ maxBulkLength: 10 }) : resp()
        const data = Buffer.from(wire, 'latin1')
        for (const chunks of [[data], chunksOf(data, 7)]) {
          const err = await rejectsWith(decodeAll(codec, chunks), error)
          expect(err.message).toMatch(message)
        }
      })
    }

    it('refuses an oversize bulk before buffering any of it', () => {
      const decoder = resp({ maxBulkLength: 1024 }).createDecoder()
      decoder.push(utf8('$1025\r\n'))
      expect(() => decoder.next()).toThrow(FrameTooLongError)
    })

    it('decodes a 100,000-element array fed in small chunks in linear time', async () => {
      const wire = utf8(`*100000\r\n${':12345\r\n'.repeat(100_000)}`)
      const t = performance.now()
      const [value] = await decodeAll(resp(), chunksOf(wire, 3))
      expect(value?.type === 'array' ? value.value.length : 0).toBe(100_000)
      expect(performance.now() - t).toBeLessThan(2_000)
    })
  })

  it('rejects bad options at once', () => {
    expect(() => resp({ maxDepth: 0 })).toThrow(RangeError)
    expect(() => resp({ maxBulkLength: 'x' as never })).toThrow(TypeError)
    expect(() => resp({ protocol: 4 as never })).toThrow(RangeError)
  })
})
