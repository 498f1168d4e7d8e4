import { readFileSync } from 'node:fs'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { allocate, COPY_THRESHOLD, concat, SLAB_SIZE } from '../../src/framing/buffers.js'
import { checkMaxLength } from '../../src/framing/checks.js'
import type { FrameDecoder } from '../../src/framing/codec.js'
import { decodeWith } from '../../src/framing/decode-with.js'
import { mapDecoder } from '../../src/framing/define-codec.js'
import { describeBytes, describeText } from '../../src/framing/describe-frame.js'
import { fixed } from '../../src/framing/fixed.js'
import { encodeUtf8 } from '../../src/framing/utf8.js'
import * as limits from '../../src/limits.js'
import { bytes, collect, fromUtf8, hex } from './helpers.js'

/** A decoder that records the chunks it is given, yielding each as a frame. */
function recorder(): FrameDecoder<Uint8Array> & { pushed: Uint8Array[] } {
  const pushed: Uint8Array[] = []
  let pending: Uint8Array | undefined
  return {
    pushed,
    push(chunk) {
      pushed.push(chunk)
      pending = chunk
    },
    next() {
      const out = pending
      pending = undefined
      return out
    },
    end: () => undefined,
    take: () => [],
  }
}

describe('decodeWith()', () => {
  it('decodeWith() feeds a Uint8ArrayList buffer by buffer, without joining them', async () => {
    const a = bytes(1, 2)
    const b = bytes(3)
    const decoder = recorder()
    await collect(decodeWith(() => decoder)([new Uint8ArrayList(a, b)]))
    expect(decoder.pushed[0]).toBe(a)
    expect(decoder.pushed[1]).toBe(b)
  })

  it('decodeWith() reads sync and async sources and calls end() once at the end', async () => {
    let ended = 0
    const create = (): FrameDecoder<Uint8Array> => ({
      ...recorder(),
      end: () => (ended++ === 0 ? bytes(9) : undefined),
    })
    expect(hex(await collect(decodeWith(create)([bytes(1)])))).toEqual(['01', '09'])
    async function* source() {
      yield bytes(1)
    }
    expect(hex(await collect(decodeWith(create)(source())))).toEqual(['01'])
    expect(ended).toBe(2)
  })

  it('decodeWith() yields a frame per next() until it returns undefined', async () => {
    expect(hex(await collect(fixed(1).decode([bytes(1, 2, 3)])))).toEqual(['01', '02', '03'])
  })
})

describe('codec helpers', () => {
  it('mapDecoder() maps frames from next() and end(), and passes take() through', () => {
    const inner = recorder()
    const mapped = mapDecoder(inner, (f) => f.length)
    mapped.push(bytes(1, 2))
    expect(mapped.next()).toBe(2)
    expect(mapped.next()).toBeUndefined()
    expect(mapped.end()).toBeUndefined()
    expect(mapped.take()).toEqual([])
  })

  it('checkMaxLength() accepts positive integers up to a bound and rejects the rest', () => {
    expect(checkMaxLength(undefined, 7)).toBe(7)
    expect(checkMaxLength(5, 7)).toBe(5)
    expect(() => checkMaxLength(0, 7)).toThrow('maxLength must be an integer from 1 to')
    expect(() => checkMaxLength(11, 7, 10)).toThrow(RangeError)
    expect(() => checkMaxLength(Number.POSITIVE_INFINITY, 7)).toThrow(RangeError)
    expect(() => checkMaxLength(null, 7)).toThrow(TypeError)
  })

  it('describeBytes() and describeText() truncate long input and say how long it was', () => {
    expect(describeBytes(bytes(0, 255))).toBe('<00 ff>')
    expect(describeBytes(new Uint8Array(40), 2)).toBe('<00 00 ... (40 bytes)>')
    expect(describeText('ab')).toBe('"ab"')
    expect(describeText('abcdef', 3)).toBe('"abc..." (6 characters)')
  })

  it('concat() joins pieces, or only their first bytes', () => {
    expect(hex([concat([bytes(1, 2), bytes(3)], 3)])).toEqual(['010203'])
    expect(hex([concat([bytes(1, 2), bytes(3)], 1)])).toEqual(['01'])
  })

  it('allocate() hands out distinct regions of the pool', () => {
    const a = allocate(10).fill(1)
    const b = allocate(10).fill(2)
    expect([...a]).toEqual(Array(10).fill(1))
    expect([...b]).toEqual(Array(10).fill(2))
  })

  it('encodeUtf8() encodes with an optional suffix byte, small and large strings alike', () => {
    expect(fromUtf8(encodeUtf8('é', 0x0a))).toBe('é\n')
    expect(fromUtf8(encodeUtf8('x'.repeat(5000), 0x0a))).toBe(`${'x'.repeat(5000)}\n`)
    expect(fromUtf8(encodeUtf8('😀'))).toBe('😀')
    const first = encodeUtf8('ab')
    encodeUtf8('cd')
    expect(fromUtf8(first)).toBe('ab') // later encodes do not overwrite earlier ones
  })
})

describe('docs/FRAMING.md', () => {
  const doc = readFileSync(new URL('../../docs/FRAMING.md', import.meta.url), 'utf8')
  const constants: Record<string, unknown> = { ...limits, COPY_THRESHOLD, SLAB_SIZE }
  const human = (n: number): string =>
    n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : `${n / 1024} KiB`

  it('docs/FRAMING.md states COPY_THRESHOLD and SLAB_SIZE in "Encoding output" as the code has them', () => {
    const paragraph = doc.slice(
      doc.indexOf('Encoding output:'),
      doc.indexOf('\n\n', doc.indexOf('Encoding output:')),
    )
    expect(paragraph).toContain(`up to ${human(COPY_THRESHOLD)} (\`COPY_THRESHOLD\`)`)
    expect(paragraph).toContain(`${human(SLAB_SIZE)} slab (\`SLAB_SIZE\`)`)
  })

  it('docs/FRAMING.md gives every size it names a constant for as the constant has it', () => {
    // "64 KiB (`MAX_LINE_LENGTH`)": the number beside a constant's name must be its value.
    const stated = [...doc.matchAll(/(\d+) (KiB|MiB) \(`([A-Z_]+)`\)/g)]
    expect(stated.length).toBeGreaterThanOrEqual(4)
    for (const [text, , , name] of stated) {
      const value = constants[name as string]
      if (typeof value === 'number') expect(text).toBe(`${human(value)} (\`${name}\`)`)
    }
  })
})
