import { FrameTooLongError, lengthPrefixed, lines, until } from 'it-socket'
import { describe, expect, it } from 'vitest'
import {
  BATCHES,
  type Batched,
  batched,
  batchesOf,
  offersBatches,
  runStages,
  takeStages,
} from '../src/batches.js'

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
    expect(await collect(batched(() => batchesFrom([[1, 2], [3], [4, 5, 6]])))).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('batched() answers next() calls made at once in order, across batches, then done', async () => {
    const source = batched(() => batchesFrom([[1, 2], [3], [4]]))
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => source.next()))
    expect(results.map((r) => (r.done === true ? 'done' : r.value))).toEqual([1, 2, 3, 4, 'done', 'done'])
  })

  it('batched() return() ends the items and the batches upstream (a finally runs)', async () => {
    let finallyRan = false
    const source = batched(async function* () {
      try {
        yield [1, 2]
        yield [3]
      } finally {
        finallyRan = true
      }
    })
    expect((await source.next()).value).toBe(1)
    expect(await source.return()).toEqual({ done: true, value: undefined })
    expect(finallyRan).toBe(true)
    expect(await source.next()).toEqual({ done: true, value: undefined })
  })

  it("batched() rejects next() with the batches' error after the items before it", async () => {
    const boom = new Error('boom')
    const source = batched(async function* () {
      yield [1, 2]
      throw boom
    })
    expect((await source.next()).value).toBe(1)
    expect((await source.next()).value).toBe(2)
    await expect(source.next()).rejects.toBe(boom)
    expect(await source.next()).toEqual({ done: true, value: undefined })
  })

  it('batched() hands its batches to a batch-aware consumer as they are', async () => {
    const source = batched(() => batchesFrom([[1, 2], [3]]))
    expect(offersBatches(source)).toBe(true)
    expect(await collect(batchesOf(source))).toEqual([[1, 2], [3]])
  })

  it('batched() gives the rest as batches of one once items were read', async () => {
    const source = batched(() => batchesFrom([[1, 2], [3]]))
    expect((await source.next()).value).toBe(1)
    expect(await collect(source[BATCHES]())).toEqual([[2], [3]])
  })

  it('batchesOf() slices arrays and takes asynchronous sources item by item (no read-ahead)', async () => {
    expect(await collect(batchesOf([1, 2, 3]))).toEqual([[1, 2, 3]])
    let pulled = 0
    async function* lazy(): AsyncGenerator<number> {
      for (let i = 0; i < 3; i++) {
        pulled++
        yield i
      }
    }
    const iterator = batchesOf(lazy())[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toEqual([0])
    expect(pulled).toBe(1)
  })

  it('batchesOf() reads a synchronous source in runs of at most 256 items', async () => {
    let pulled = 0
    function* counting(): Generator<number> {
      for (let i = 0; i < 600; i++) {
        pulled++
        yield i
      }
    }
    const iterator = batchesOf(counting())[Symbol.asyncIterator]()
    const first = (await iterator.next()).value as number[]
    expect(first).toHaveLength(256)
    expect(pulled).toBe(256) // read ahead by one batch, no more
    const rest = await collect({ [Symbol.asyncIterator]: () => iterator })
    expect(rest.map((b) => b.length)).toEqual([256, 88])
    expect([...first, ...rest.flat()]).toEqual(Array.from({ length: 600 }, (_, i) => i))
  })

  it('batchesOf() bounds a run of a synchronous byte source at 64 KiB', async () => {
    function* chunks(): Generator<Uint8Array> {
      for (let i = 0; i < 5; i++) yield new Uint8Array(40 * 1024)
    }
    const batches = await collect(batchesOf(chunks()))
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1])
  })

  it('batchesOf() slices an array of bytes at 64 KiB and 1,024 items, at least one item a slice', async () => {
    const chunks = Array.from({ length: 5 }, () => new Uint8Array(40 * 1024))
    expect((await collect(batchesOf(chunks))).map((b) => b.length)).toEqual([2, 2, 1])
    const big = [new Uint8Array(200 * 1024), new Uint8Array(1)]
    expect((await collect(batchesOf(big))).map((b) => b.length)).toEqual([1, 1])
    const small = Array.from({ length: 2500 }, () => new Uint8Array(1))
    expect((await collect(batchesOf(small))).map((b) => b.length)).toEqual([1024, 1024, 452])
  })

  it('batchesOf() delivers what a synchronous source yielded before it threw, then the error', async () => {
    function* failing(): Generator<number> {
      yield 1
      yield 2
      throw new Error('boom')
    }
    const iterator = batchesOf(failing())[Symbol.asyncIterator]()
    expect((await iterator.next()).value).toEqual([1, 2])
    await expect(iterator.next()).rejects.toThrow('boom')
  })

  it('batchesOf() closes a synchronous source left early', async () => {
    let closed = false
    function* endless(): Generator<number> {
      try {
        for (let i = 0; ; i++) yield i
      } finally {
        closed = true
      }
    }
    for await (const batch of batchesOf(endless())) {
      expect(batch).toHaveLength(256)
      break
    }
    expect(closed).toBe(true)
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
    const out = until('bye')(batched(() => upstream())) as Batched<string>
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

describe('stage fusion', () => {
  const text = (items: readonly unknown[]): string[] =>
    items.map((m) => new TextDecoder().decode(m as Uint8Array))

  it('takeStages() finds decode, until and encode back to the root source', () => {
    const lp = lengthPrefixed()
    const root = [new Uint8Array([1, 0x61])]
    const { root: found, stages } = takeStages(lp.encode(until('bye')(lp.decode(root))))
    expect(found).toBe(root)
    expect(stages).toHaveLength(3)
  })

  it('runStages() runs a batch through every stage, and until() ends the output at its terminator', () => {
    const lp = lengthPrefixed()
    const { stages } = takeStages(until('bye')(lp.decode([])))
    const chunk = Uint8Array.from([1, 0x61, 3, 0x62, 0x79, 0x65, 1, 0x63])
    const run = runStages(stages, [chunk])
    expect(text(run.out)).toEqual(['a', 'bye'])
    expect(run.ended).toBe(true)
  })

  it('runStages() delivers what precedes an error, then the error', () => {
    const lp = lengthPrefixed({ maxLength: 4 })
    const { stages } = takeStages(lp.encode(lp.decode([])))
    const run = runStages(stages, [Uint8Array.from([1, 0x61, 9, 0])])
    expect(run.out).toHaveLength(1)
    expect(run.error?.error).toBeInstanceOf(FrameTooLongError)
  })

  it("runStages() at the root's end flushes each stage (a last line without newline)", () => {
    const l = lines()
    const { stages } = takeStages(l.encode(l.decode([])))
    expect(runStages(stages, [encoder.encode('one\ntw')]).out).toHaveLength(1)
    const end = runStages(stages, undefined)
    expect(text(end.out)).toEqual(['tw\n'])
    expect(end.ended).toBe(true)
  })

  it('a stage already read item by item is not taken again', async () => {
    const lp = lengthPrefixed()
    const decoded = lp.decode([Uint8Array.from([1, 0x61, 1, 0x62])])
    await decoded.next()
    expect(takeStages(decoded).stages).toHaveLength(0)
  })

  it('decode offers the frames of a chunk in batches of at most 256, decoded as they are taken', async () => {
    const lp = lengthPrefixed()
    const frame = Uint8Array.from([1, 0x61])
    const chunk = new Uint8Array(600 * 2)
    for (let i = 0; i < 600; i++) chunk.set(frame, i * 2)
    const decoded = lp.decode([chunk.subarray(0, 1000), chunk.subarray(1000)]) as Batched<Uint8Array>
    const batches = await collect(decoded[BATCHES]())
    expect(batches.map((b) => b.length)).toEqual([256, 256, 88])
    // Item by item, the same 600 in order; a bad frame after them still comes after them.
    const bad = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
    const seen: number[] = []
    await expect(
      (async () => {
        for await (const m of lengthPrefixed({ maxLength: 10 }).decode([chunk, bad])) seen.push(m.length)
      })(),
    ).rejects.toThrow()
    expect(seen).toHaveLength(600)
  })
})
