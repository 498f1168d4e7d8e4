import { pipe } from 'it-pipe'
import { describe, expect, it } from 'vitest'
import { lines } from '../../src/framing/lines.js'
import { until } from '../../src/framing/until.js'
import { bytes, collect, utf8 } from './helpers.js'

/** A source that records whether it was closed (its `finally` ran) and how many items were pulled. */
function tracked<T>(items: T[]) {
  const state = { closed: false, pulled: 0 }
  const source = (async function* () {
    try {
      for (const item of items) {
        state.pulled++
        yield item
      }
    } finally {
      state.closed = true
    }
  })()
  return { source, state }
}

describe('until()', () => {
  it('until() ends at the terminator, passes it on, and calls upstream return()', async () => {
    const { source, state } = tracked(['a', 'b', 'QUIT', 'c', 'd'])
    expect(await collect(until('QUIT')(source))).toEqual(['a', 'b', 'QUIT'])
    expect(state.closed).toBe(true)
    expect(state.pulled).toBe(3)
  })

  it('until() closes upstream before passing the terminator on', async () => {
    const { source, state } = tracked(['x', 'END', 'y'])
    const it = until('END')(source)
    expect((await it.next()).value).toBe('x')
    expect(state.closed).toBe(false)
    expect((await it.next()).value).toBe('END')
    expect(state.closed).toBe(true)
  })

  it('until() with inclusive: false drops the terminator', async () => {
    const { source, state } = tracked(['a', 'QUIT', 'b'])
    expect(await collect(until('QUIT', { inclusive: false })(source))).toEqual(['a'])
    expect(state.closed).toBe(true)
  })

  it('until() with a predicate ends at the first message it accepts', async () => {
    const { source, state } = tracked([1, 2, 30, 4])
    expect(await collect(until((n: number) => n > 10)(source))).toEqual([1, 2, 30])
    expect(state.closed).toBe(true)
  })

  it('until() compares bytes by content, and a string with bytes as UTF-8', async () => {
    const messages = [bytes(1), utf8('bye'), bytes(2)]
    expect(await collect(until(utf8('bye'))(messages))).toEqual([bytes(1), utf8('bye')])
    expect(await collect(until<Uint8Array>('bye')(messages))).toEqual([bytes(1), utf8('bye')])
    expect(await collect(until<string>(utf8('bye'))(['a', 'bye', 'c']))).toEqual(['a', 'bye'])
  })

  it('until() passes everything through when the terminator never comes', async () => {
    const { source, state } = tracked(['a', 'b'])
    expect(await collect(until('QUIT')(source))).toEqual(['a', 'b'])
    expect(state.closed).toBe(true)
  })

  it('until() lets the rest of a pipe finish while upstream would go on', async () => {
    async function* endless() {
      for (;;) yield utf8('tick\nSTOP\n')
    }
    const result = await pipe(endless(), lines().decode, until('STOP'), (source) => collect(source))
    expect(result).toEqual(['tick', 'STOP'])
  })

  it('until() keeps the message type through pipe()', async () => {
    const strings: string[] = await pipe(['a', 'b'], until('b'), (source) => collect(source))
    const chunks: Uint8Array[] = await pipe([bytes(1), bytes(2)], until(bytes(1)), (source) =>
      collect(source),
    )
    expect(strings).toEqual(['a', 'b'])
    expect(chunks).toEqual([bytes(1)])
  })

  it('until() throws TypeError at once for a terminator of another type', () => {
    expect(() => until(42 as unknown as string)).toThrow(TypeError)
  })
})
