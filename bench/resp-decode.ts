/**
 * B-LF's in-memory micro-benchmark: how many small Redis replies `resp().decode` turns into values
 * per second, on one core, without sockets. `node dist/bench/resp-decode.js <replies> <warmup>`;
 * prints one line, `{"result":{"values":{"<reply> (<n> B)": M replies/s, …},"details":{…}}}`.
 *
 * Each reply shape is encoded with the codec's own encoder, checked to decode back to itself, then
 * repeated into 64 KiB chunks, cut wherever 64 KiB falls (so replies span chunks as they do off a
 * socket), and consumed as a user does: `for await (const reply of codec.decode(chunks()))`. The
 * source is a sync generator of `Uint8Array`s, as a connection's source is an iterable of them.
 *
 * @module
 */

import { performance } from 'node:perf_hooks'
import { type RespValue, resp } from 'it-socket'
import type { ClientResult } from './protocol.js'

const utf8 = new TextEncoder()
const bulk = (text: string): RespValue => ({ type: 'bulk', value: utf8.encode(text) })

/** The replies measured: what SET, INCR, GET and LRANGE answer, and a RESP3 map as HELLO does. */
const REPLIES: ReadonlyArray<[name: string, reply: RespValue]> = [
  ['+OK', { type: 'simple', value: 'OK' }],
  [':integer', { type: 'integer', value: 123_456 }],
  ['$bulk 32 B', bulk('v'.repeat(32))],
  ['*3 array of bulks', { type: 'array', value: [bulk('alpha'), bulk('beta'), bulk('gamma')] }],
  ['-error', { type: 'error', message: 'WRONGTYPE Operation against a key holding the wrong kind of value' }],
]

const CHUNK = 64 * 1024

/** `count` copies of `frame` back to back, as 64 KiB chunks (the last one shorter). */
function chunksOf(frame: Uint8Array, count: number): Uint8Array[] {
  const all = new Uint8Array(frame.length * count)
  for (let i = 0; i < count; i++) all.set(frame, i * frame.length)
  const chunks: Uint8Array[] = []
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK))
  return chunks
}

/** Decodes every reply in `chunks`; returns how many there were. */
async function decodeAll(chunks: readonly Uint8Array[]): Promise<number> {
  const codec = resp()
  let n = 0
  for await (const reply of codec.decode(chunks)) {
    if (reply.type === 'null') throw new Error('unexpected null')
    n++
  }
  return n
}

async function main(): Promise<void> {
  const [replies, warmup] = process.argv.slice(2).map(Number) as [number, number]
  if (!(Number.isInteger(replies) && replies > 0 && Number.isInteger(warmup) && warmup >= 0)) {
    throw new Error('usage: resp-decode.js <replies> <warmup>')
  }
  const codec = resp({ protocol: 3 })
  const shapes = REPLIES.map(([name, reply]) => {
    const frame = codec.encodeFrame(reply)
    return { label: `${name} (${frame.length} B)`, frame, reply }
  })
  for (const { label, frame } of shapes) {
    const seen: RespValue[] = []
    for await (const v of codec.decode([frame])) seen.push(v)
    if (seen.length !== 1 || codec.encodeFrame(seen[0] as RespValue).join() !== frame.join()) {
      throw new Error(`${label}: does not decode back to itself`)
    }
  }
  // Every shape warmed up before any is timed: the decoder's code is shared by all of them.
  for (const s of shapes) await decodeAll(chunksOf(s.frame, warmup))
  const values: Record<string, number> = {}
  for (const s of shapes) {
    const chunks = chunksOf(s.frame, replies)
    const t0 = performance.now()
    const n = await decodeAll(chunks)
    const seconds = (performance.now() - t0) / 1000
    if (n !== replies) throw new Error(`${s.label}: decoded ${n} of ${replies}`)
    values[s.label] = replies / seconds / 1e6
  }
  const result: ClientResult = { values, details: { replies, warmup, chunkBytes: CHUNK } }
  process.stdout.write(`${JSON.stringify({ result })}\n`)
}

await main()
