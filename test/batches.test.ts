import { FrameTooLongError, lengthPrefixed, lines, until } from 'it-socket'
import { describe, expect, it } from 'vitest'
import { BATCHES, type Batched, batched, batchesOf, offersBatches } from '../src/batches.js'

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

async function* batchesFrom<T>(batches: T[][]): AsyncGenerator<readonly T[], void, undefined> {
  yield* batches
}

const encoder = new TextEncoder()

describe('batched()', () => {
  it('batched() yields every item in order to an item-by-item consumer', async () => {
    expect(await collect(batched(batchesFrom([[1, 2], [3], [4, 5, 6]])))).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('batched() hands its batches to a batch-aware consumer as they are', async () => {
    const source = batched(batchesFrom([[1, 2], [3]]))
    expect(offersBatches(source)).toBe(true)
    expect(await collect(batchesOf(source))).toEqual([[1, 2], [3]])
  })

  it('batched() gives the rest as batches of one once items were read', async () => {
    const source = batched(batchesFrom([[1, 2], [3]]))
    expect((await source.next()).value).toBe(1)
    expect(await collect(source[BATCHES]())).toEqual([[2], [3]])
  })

  it('batchesOf() slices arrays and takes other sources item by item (no read-ahead)', async () => {
    expect(await collect(batchesOf([1, 2, 3]))).toEqual([[1, 2, 3]])
    let pulled = 0
    function* lazy(): Generator<number> {
      for (let i = 0; i < 3; i++) {
        pulled++
        yield i
      }
    }
    const iterator = batchesOf(lazy())[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toEqual([0])
    expect(pulled).toBe(1)
  })
})

describe('codecs on the batch path', () => {
  it('lengthPrefixed().decode offers all frames of a chunk as one batch', async () => {
    const lp = lengthPrefixed()
    const frames = await collect(
      lp.encode([encoder.encode('a'), encoder.encode('bb'), encoder.encode('ccc')]),
    )
    const oneChunk = Uint8Array.from(frames.flatMap((f) => [...(f as Uint8Array)]))
    const decoded = lp.decode([oneChunk]) as Batched<Uint8Array>
    const batches = await collect(decoded[BATCHES]())
    expect(batches).toHaveLength(1)
    expect(batches[0]?.map((m) => new TextDecoder().decode(m))).toEqual(['a', 'bb', 'ccc'])
  })

  it('decode delivers the frames before a bad one, then fails', async () => {
    const lp = lengthPrefixed({ maxLength: 4 })
    const chunk = Uint8Array.from([1, 0x61, 1, 0x62, 9, 0, 0])
    const seen: string[] = []
    const failure = await (async () => {
      for await (const m of lp.decode([chunk])) seen.push(new TextDecoder().decode(m))
    })().catch((e: unknown) => e)
    expect(seen).toEqual(['a', 'b'])
    expect(failure).toBeInstanceOf(FrameTooLongError)
  })

  it('until() over batches passes what precedes the terminator and stops reading upstream', async () => {
    let closed = false
    async function* upstream(): AsyncGenerator<readonly string[], void, undefined> {
      try {
        yield ['a', 'b']
        yield ['c', 'bye', 'never']
        yield ['never either']
      } finally {
        closed = true
      }
    }
    const out = until('bye')(batched(upstream())) as Batched<string>
    expect(await collect(out[BATCHES]())).toEqual([
      ['a', 'b'],
      ['c', 'bye'],
    ])
    expect(closed).toBe(true)
  })

  it('lines() encode then decode over batches round-trips', async () => {
    const l = lines()
    const messages = Array.from({ length: 3000 }, (_, i) => `line ${i}`)
    expect(await collect(l.decode(l.encode(messages)))).toEqual(messages)
  })
})
