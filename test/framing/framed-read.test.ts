import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AbortError, ReadInUseError } from '../../src/errors.js'
import type { Codec } from '../../src/framing/codec.js'
import { type Framed, framed } from '../../src/framing/framed.js'
import { lines } from '../../src/framing/lines.js'
import { rejectsWith, SEED, settle, throwsWith } from './helpers.js'
import { lineServerPerTest } from './line-peer.js'

const { connectTo, startServer } = lineServerPerTest()

/** A `read()` aborted before any message could come: expects its `AbortError`. */
async function abortedRead(f: Framed<string>): Promise<void> {
  const controller = new AbortController()
  const reading = f.read({ signal: controller.signal })
  controller.abort()
  await rejectsWith(reading, AbortError)
}

/** `lines()` whose decoder calls `onFrame` with each frame it hands out. */
function observedLines(onFrame: (frame: string) => void): Codec<string> {
  const codec = lines()
  const { createDecoder } = codec
  if (createDecoder === undefined) throw new Error('lines() has a decoder')
  return {
    ...codec,
    createDecoder: () => {
      const decoder = createDecoder()
      return {
        push: (chunk) => decoder.push(chunk),
        next: () => {
          const frame = decoder.next()
          if (frame !== undefined) onFrame(frame)
          return frame
        },
        end: () => decoder.end(),
        take: () => decoder.take(),
      }
    },
  }
}

describe('framed().read() with a signal', () => {
  it('framed().read() aborted before a message arrives leaves that message to the next read()', async () => {
    const { conn, peer } = await connectTo()
    let decoded!: () => void
    const firstDecoded = new Promise<void>((resolve) => {
      decoded = resolve
    })
    const f = framed(
      conn,
      observedLines((frame) => frame === 'first' && decoded()),
    )
    await abortedRead(f)
    peer.send('first')
    await firstDecoded // it arrived and was decoded after the abort, before the next read()
    await settle()
    peer.send('second')
    expect(await f.read()).toBe('first')
    expect(await f.read()).toBe('second')
  })

  it('framed().read() aborted while a message is already decoded leaves it to the next read()', async () => {
    const { conn, peer } = await connectTo()
    const f = framed(conn, lines())
    peer.send('a', 'b')
    expect(await f.read()).toBe('a') // 'b' came in the same chunk: the decoder holds it
    await abortedRead(f)
    peer.send('c')
    expect(await f.read()).toBe('b')
    expect(await f.read()).toBe('c')
  })

  it('framed().unwrap() throws ReadInUseError while an aborted read() left a message for the next reader', async () => {
    const { conn, peer } = await connectTo()
    const f = framed(conn, lines())
    await abortedRead(f)
    const err = throwsWith(() => f.unwrap(), ReadInUseError)
    expect(err.message).toMatch(/aborted read\(\)/)
    peer.send('kept', 'raw')
    expect(await f.read()).toBe('kept')
    const chunks: Uint8Array[] = []
    const raw = f.unwrap()
    peer.socket.end()
    for await (const chunk of raw.source) chunks.push(chunk)
    expect(Buffer.concat(chunks).toString()).toBe('raw\n')
  })

  type Op =
    | { kind: 'deliver'; count: number }
    | { kind: 'read' }
    | { kind: 'sourceNext' }
    | { kind: 'request' }
    | { kind: 'abortedRead'; turns: number }
    | { kind: 'yield' }

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('deliver' as const), count: fc.integer({ min: 1, max: 3 }) }),
    fc.constant<Op>({ kind: 'read' }),
    fc.constant<Op>({ kind: 'sourceNext' }),
    fc.constant<Op>({ kind: 'request' }),
    fc.record({ kind: fc.constant('abortedRead' as const), turns: fc.integer({ min: 0, max: 4 }) }),
    fc.constant<Op>({ kind: 'yield' }),
  )

  it('framed() delivers every message to exactly one reader, in order, whatever mix of aborted reads, reads, source and request()', async () => {
    const server = await startServer()
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 4, maxLength: 30, size: 'max' }), async (ops) => {
        const { conn, peer } = await server.connect()
        const f = framed(conn, lines())
        let delivered = 0
        const got: string[] = []
        const deliver = (count: number): void => {
          const names = Array.from({ length: count }, (_, i) => `m${delivered + i}`)
          delivered += count
          peer.send(...names)
        }
        try {
          for (const op of ops) {
            switch (op.kind) {
              case 'deliver':
                deliver(op.count)
                break
              case 'read':
                deliver(1) // one more than it takes: a lost message shows as a gap, never as a hang
                got.push((await f.read()) as string)
                break
              case 'sourceNext':
                deliver(1)
                got.push((await f.source.next()).value as string)
                break
              case 'request': {
                // The peer's next message is taken as the reply (after any still unread).
                const reply = f.request('q')
                deliver(1)
                got.push(await reply)
                break
              }
              case 'abortedRead': {
                const controller = new AbortController()
                const reading = f.read({ signal: controller.signal })
                for (let i = 0; i < op.turns; i++) await Promise.resolve()
                controller.abort()
                try {
                  got.push((await reading) as string) // the message came first: not aborted
                } catch (err) {
                  expect(err).toBeInstanceOf(AbortError)
                }
                break
              }
              case 'yield':
                await settle()
                break
            }
          }
          peer.socket.end()
          for (;;) {
            const message = await f.read()
            if (message === undefined) break
            got.push(message)
          }
          expect(got).toEqual(Array.from({ length: delivered }, (_, i) => `m${i}`))
        } finally {
          conn.abort()
        }
      }),
      { seed: SEED, numRuns: 100 },
    )
  })
})
