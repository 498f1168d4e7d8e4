import { describe, expect, it } from 'vitest'
import { InvalidFrameError } from '../../src/errors.js'
import { json } from '../../src/framing/json.js'
import { lengthPrefixed } from '../../src/framing/length-prefixed.js'
import { lines } from '../../src/framing/lines.js'
import { chunksOf, decodeAll, encodeAll, fromUtf8, rejectsWith, utf8 } from './helpers.js'

const values = [null, 0, 'a\nb', [1, 2], { k: 'v', n: { deep: true } }, 'é😀']

describe('json()', () => {
  it('json() layers JSON values over length-prefixed frames', async () => {
    const codec = json(lengthPrefixed())
    expect(codec.kind).toBe('json')
    const wire = await encodeAll(codec, values)
    for (const size of [1, 5, wire.length])
      expect(await decodeAll(codec, chunksOf(wire, size))).toEqual(values)
  })

  it('json() over lines() is newline-delimited JSON', async () => {
    const codec = json(lines())
    const wire = await encodeAll(codec, values)
    expect(fromUtf8(wire).split('\n')).toHaveLength(values.length + 1)
    expect(await decodeAll(codec, chunksOf(wire, 3))).toEqual(values)
  })

  it('json() fails with InvalidFrameError quoting the start of what was received', async () => {
    const err = await rejectsWith(decodeAll(json(lines()), [utf8('{"a": nope}\n')]), InvalidFrameError)
    expect(err.message).toBe('Cannot decode frame: invalid JSON "{\\"a\\": nope}"')
    expect(err.cause).toBeInstanceOf(SyntaxError)
    const long = await rejectsWith(
      decodeAll(json(lines()), [utf8(`${'x'.repeat(1000)}\n`)]),
      InvalidFrameError,
    )
    expect(long.message).toBe(`Cannot decode frame: invalid JSON "${'x'.repeat(64)}..." (1000 characters)`)
  })

  it('json() fails with InvalidFrameError on bytes that are not UTF-8', async () => {
    await rejectsWith(decodeAll(json(lengthPrefixed()), [Uint8Array.of(1, 0xff)]), InvalidFrameError)
  })

  it('json() fails with TypeError for undefined or a BigInt, and InvalidFrameError for a cycle', async () => {
    const codec = json(lengthPrefixed())
    const undef = await rejectsWith(encodeAll(codec, [undefined]), TypeError)
    expect(undef.message).toBe(
      'json(): cannot encode undefined: messages are JSON values (use null for no value)',
    )
    await rejectsWith(encodeAll(codec, [10n]), TypeError)
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    const err = await rejectsWith(encodeAll(codec, [cycle]), InvalidFrameError)
    // The engine's own words follow (V8: 'Converting circular structure to JSON…').
    expect(err.cause).toBeInstanceOf(TypeError)
    expect(err.message).toBe(`Cannot encode JSON: ${(err.cause as TypeError).message}`)
  })

  it('json() throws TypeError at once over a json codec', () => {
    expect(() => json(json(lines()) as never)).toThrow(TypeError)
  })
})
