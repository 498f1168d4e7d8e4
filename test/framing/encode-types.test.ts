/**
 * Every codec refuses, with a `TypeError` naming the codec and the type, a message of the wrong type
 * (issue 11, item 8: byte codecs used to write a string as zeros and a Uint16Array truncated). Each
 * case runs through `encode` (the stream) and through `encodeFrame` (what `framed().write` calls).
 */

import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { describeType } from '../../src/describe.js'
import { InvalidFrameError } from '../../src/errors.js'
import type { Codec } from '../../src/framing/codec.js'
import { delimited } from '../../src/framing/delimited.js'
import { fixed } from '../../src/framing/fixed.js'
import { framed } from '../../src/framing/framed.js'
import { json } from '../../src/framing/json.js'
import { lengthPrefixed } from '../../src/framing/length-prefixed.js'
import { lines } from '../../src/framing/lines.js'
import { raw } from '../../src/framing/raw.js'
import { text } from '../../src/framing/text.js'
import { collect, concatBytes, encodeAll, hex, rejectsWith, SEED, scriptedDuplex } from './helpers.js'

/** Encodes `message` through `encode`, the way a pipe does. */
const viaEncode = (codec: Codec<unknown>, message: unknown): Promise<unknown> =>
  collect(codec.encode([message]))

/** Encodes `message` through `encodeFrame`, the way `framed().write` does. */
const viaEncodeFrame = (codec: Codec<unknown>, message: unknown): Promise<unknown> =>
  new Promise((resolve) => resolve(codec.encodeFrame?.(message)))

/** Expects both ways of encoding `message` to fail with exactly `expected` (a TypeError). */
async function expectTypeError(codec: Codec<unknown>, message: unknown, expected: string): Promise<void> {
  for (const encode of [viaEncode, viaEncodeFrame]) {
    const err = await rejectsWith(encode(codec, message), TypeError)
    expect(err.message, encode.name).toBe(expected)
  }
}

/** A codec of any message type, for feeding it values of the wrong one. */
const loose = <T>(codec: Codec<T>): Codec<unknown> => codec as Codec<unknown>

const VIEW_HINT = 'view its bytes as new Uint8Array(view.buffer, view.byteOffset, view.byteLength)'

describe('byte codecs', () => {
  // [name in messages, codec, whether it takes a Uint8ArrayList]
  const byteCodecs: Array<[string, Codec<Uint8Array>, boolean]> = [
    ['lengthPrefixed()', lengthPrefixed(), false],
    ['delimited()', delimited('\0'), false],
    ['fixed()', fixed(3), true],
    ['raw()', raw(), true],
  ]

  for (const [name, codec, takesLists] of byteCodecs) {
    const expected = takesLists ? 'Uint8Array or Uint8ArrayList' : 'Uint8Array'

    it(`${name} fails with TypeError naming the type of a message that is not a Uint8Array`, async () => {
      const c = loose(codec)
      const prefix = `${name}: cannot encode`
      await expectTypeError(
        c,
        'abc',
        `${prefix} a string: messages are ${expected} (use text(${name}) for strings)`,
      )
      await expectTypeError(
        c,
        Uint16Array.of(1, 2, 3),
        `${prefix} a Uint16Array: messages are ${expected} (${VIEW_HINT})`,
      )
      await expectTypeError(
        c,
        new DataView(new ArrayBuffer(3)),
        `${prefix} a DataView: messages are ${expected} (${VIEW_HINT})`,
      )
      await expectTypeError(
        c,
        new ArrayBuffer(3),
        `${prefix} an ArrayBuffer: messages are ${expected} (view it as new Uint8Array(buffer))`,
      )
      await expectTypeError(c, undefined, `${prefix} undefined: messages are ${expected}`)
      await expectTypeError(c, null, `${prefix} null: messages are ${expected}`)
      await expectTypeError(c, 3, `${prefix} a number: messages are ${expected}`)
      await expectTypeError(c, [1, 2, 3], `${prefix} an Array: messages are ${expected}`)
      await expectTypeError(c, { length: 3 }, `${prefix} an object: messages are ${expected}`)
    })

    it(`${name} encodes a Buffer, which is a Uint8Array`, async () => {
      const message = Buffer.from([1, 2, 3])
      const wire = await encodeAll(codec, [message])
      expect(hex([wire])[0]).toContain('010203')
    })

    if (takesLists) {
      it(`${name} passes a Uint8ArrayList message on as it is`, async () => {
        const list = new Uint8ArrayList(Uint8Array.of(1, 2), Uint8Array.of(3))
        const c = loose(codec)
        expect((await viaEncode(c, list)) as unknown[]).toEqual([list])
        expect(await viaEncodeFrame(c, list)).toBe(list)
      })
    } else {
      it(`${name} fails with TypeError for a Uint8ArrayList message, pointing at subarray()`, async () => {
        const list = new Uint8ArrayList(Uint8Array.of(1, 2), Uint8Array.of(3))
        await expectTypeError(
          loose(codec),
          list,
          `${name}: cannot encode a Uint8ArrayList: messages are Uint8Array (join it with list.subarray())`,
        )
      })
    }

    it(`${name} fails with TypeError for any value that is not bytes (property)`, () => {
      fc.assert(
        fc.property(fc.anything({ withTypedArray: true, withBigInt: true, withMap: true }), (value) => {
          if (value instanceof Uint8Array) return
          expect(() => codec.encodeFrame?.(value as Uint8Array)).toThrow(
            new TypeError(
              `${name}: cannot encode ${describeType(value)}: messages are ${expected}` +
                (typeof value === 'string' ? ` (use text(${name}) for strings)` : '') +
                (ArrayBuffer.isView(value) ? ` (${VIEW_HINT})` : ''),
            ),
          )
        }),
        { seed: SEED, numRuns: 300 },
      )
    })
  }

  it('framed() write() rejects with the TypeError of a byte codec and writes nothing', async () => {
    const duplex = scriptedDuplex([])
    const f = framed(duplex, loose(lengthPrefixed()))
    const err = await rejectsWith(f.write('abc'), TypeError)
    expect(err.message).toMatch(/^lengthPrefixed\(\): cannot encode a string/)
    await f.write(Uint8Array.of(7))
    await f.sink([])
    expect(hex([concatBytes(duplex.written)])).toEqual(['0107'])
  })
})

describe('text codecs', () => {
  const textCodecs: Array<[string, Codec<string>]> = [
    ['lines()', lines()],
    ['text()', text(lengthPrefixed())],
  ]
  for (const [name, codec] of textCodecs) {
    it(`${name} fails with TypeError naming the type of a message that is not a string`, async () => {
      const c = loose(codec)
      await expectTypeError(c, Uint8Array.of(1), `${name}: cannot encode a Uint8Array: messages are strings`)
      await expectTypeError(c, 42, `${name}: cannot encode a number: messages are strings`)
      await expectTypeError(c, undefined, `${name}: cannot encode undefined: messages are strings`)
      await expectTypeError(c, { a: 1 }, `${name}: cannot encode an object: messages are strings`)
    })
  }

  it('text() fails with TypeError over a codec that has only encode and decode', async () => {
    const inner = lengthPrefixed()
    const c = loose(text({ encode: inner.encode, decode: inner.decode }))
    const err = await rejectsWith(viaEncode(c, 1), TypeError)
    expect(err.message).toBe('text(): cannot encode a number: messages are strings')
  })
})

describe('json()', () => {
  for (const [over, codec] of [
    ['lengthPrefixed()', json(lengthPrefixed())],
    ['lines()', json(lines())],
  ] as const) {
    it(`json() over ${over} fails with TypeError for a message of a type JSON has no form for`, async () => {
      const c = loose(codec)
      await expectTypeError(
        c,
        undefined,
        'json(): cannot encode undefined: messages are JSON values (use null for no value)',
      )
      await expectTypeError(c, () => 1, 'json(): cannot encode a function: messages are JSON values')
      await expectTypeError(c, Symbol('s'), 'json(): cannot encode a symbol: messages are JSON values')
      await expectTypeError(c, 10n, 'json(): cannot encode a bigint: messages are JSON values')
    })
  }

  it('json() fails with InvalidFrameError for an object JSON.stringify refuses', async () => {
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    const c = loose(json(lengthPrefixed()))
    await rejectsWith(viaEncode(c, cycle), InvalidFrameError)
    await rejectsWith(viaEncodeFrame(c, { n: 1n }), InvalidFrameError)
    const err = await rejectsWith(viaEncode(c, { toJSON: () => undefined }), InvalidFrameError)
    expect(err.message).toBe('Cannot encode JSON: an object has no JSON form')
  })
})
