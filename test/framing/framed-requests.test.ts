import { describe, expect, it } from 'vitest'
import {
  AbortError,
  ConnectionResetError,
  InvalidFrameError,
  ReadInUseError,
  UnexpectedEndError,
} from '../../src/errors.js'
import type { Codec } from '../../src/framing/codec.js'
import { type FramedOptions, framed } from '../../src/framing/framed.js'
import { lines } from '../../src/framing/lines.js'
import { duplexPair } from '../../src/pair/duplex-pair.js'
import { gateAfterFirst, recordingPair, rejectsWith, settle } from './helpers.js'
import { lineServerPerTest, replyServer } from './line-peer.js'

const { connectTo } = lineServerPerTest()

describe('framed().request() pipelining', () => {
  it('framed().request() pairs 1,000 pipelined requests with their replies in order', async () => {
    const { conn, peer } = await connectTo(replyServer)
    const f = framed(conn, lines())
    const requests = Array.from({ length: 1000 }, (_, i) => `m${i}`)
    const replies = await Promise.all(requests.map((request) => f.request(request)))
    expect(replies).toHaveLength(1000)
    for (let i = 0; i < requests.length; i++) expect(replies[i]).toBe(`reply:${requests[i]}`)
    expect(peer.seen).toEqual(requests)
  })

  it('framed().request() overlapping calls stay paired: a later awaited request gets its own reply', async () => {
    const { conn } = await connectTo(replyServer)
    const f = framed(conn, lines())
    // The desync of issue 11: b and c used to be sent, then rejected, and z got the reply to b.
    const [a, b, c] = await Promise.all([f.request('a'), f.request('b'), f.request('c')])
    expect([a, b, c]).toEqual(['reply:a', 'reply:b', 'reply:c'])
    expect(await f.request('z')).toBe('reply:z')
  })

  it('framed().request() sends a burst of overlapping requests together, without waiting for replies', async () => {
    const [client, server] = recordingPair()
    const f = framed(client, lines())
    const pending = Array.from({ length: 100 }, (_, i) => f.request(`q${i}`))
    await settle() // one macrotask: the burst was taken within it
    expect(client.written.length).toBeLessThanOrEqual(2)
    expect(new TextDecoder().decode(Buffer.concat(client.written))).toBe(
      Array.from({ length: 100 }, (_, i) => `q${i}\n`).join(''),
    )
    const s = framed(server, lines())
    for (let i = 0; i < 100; i++) await s.write(`a${(await s.read()) as string}`)
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 100 }, (_, i) => `aq${i}`))
  })

  it('framed().request() keeps at most maxOutstandingRequests unanswered: the peer never holds more', async () => {
    const total = 20
    let unanswered = 0
    let mostUnanswered = 0
    // Answers only once it holds 4 requests (or the last ones): a client past its bound shows as more.
    const { conn } = await connectTo((peer, received) => {
      unanswered += received.length
      mostUnanswered = Math.max(mostUnanswered, unanswered)
      if (unanswered >= 4 || peer.seen.length === total) {
        peer.send(...peer.seen.slice(peer.seen.length - unanswered).map((line) => `reply:${line}`))
        unanswered = 0
      }
    })
    const f = framed(conn, lines(), { maxOutstandingRequests: 4 })
    const requests = Array.from({ length: total }, (_, i) => `m${i}`)
    const replies = await Promise.all(requests.map((request) => f.request(request)))
    for (let i = 0; i < total; i++) expect(replies[i]).toBe(`reply:m${i}`)
    expect(mostUnanswered).toBe(4)
  })

  it('framed().request() withdraws a request aborted while it waits for a slot: it is never sent', async () => {
    const { conn, peer } = await connectTo(replyServer)
    const f = framed(conn, lines(), { maxOutstandingRequests: 1 })
    const a = f.request('a')
    const controller = new AbortController()
    const b = f.request('b', { signal: controller.signal }) // waits: a holds the only slot
    controller.abort(new Error('not needed'))
    const err = await rejectsWith(b, AbortError)
    expect(err.message).toMatch(/before it was sent/)
    expect((err.cause as Error).message).toBe('not needed')
    const c = f.request('c')
    expect(await a).toBe('reply:a')
    expect(await c).toBe('reply:c')
    expect(peer.seen).toEqual(['a', 'c'])
  })

  it('framed().request() aborted after it was sent rejects at once and its reply is discarded', async () => {
    const { conn, peer } = await connectTo() // answers only when told
    const f = framed(conn, lines())
    const controller = new AbortController()
    const a = f.request('a', { signal: controller.signal })
    await peer.received(1)
    controller.abort()
    const err = await rejectsWith(a, AbortError)
    expect(err.message).toMatch(/after it was sent/)
    // Its slot stays taken until the reply: reading now would take that reply.
    await rejectsWith(f.read(), ReadInUseError)
    const b = f.request('b')
    await peer.received(2)
    peer.send('reply:a', 'reply:b')
    expect(await b).toBe('reply:b')
    peer.send('unsolicited')
    expect(await f.read()).toBe('unsolicited')
  })

  it('framed().request() withdraws an overlapping request aborted before the connection took it', async () => {
    const [client, server] = recordingPair()
    // The connection takes one chunk, then waits for `open()`: what is queued after stays in the outbox.
    const gated = gateAfterFirst(client.sink)
    const s = framed(server, lines())
    const f = framed({ source: client.source, sink: gated.sink }, lines())
    const first = f.request('first')
    expect(await s.read()).toBe('first') // taken; the connection now waits at its gate
    // Overlapping the unanswered first request: queued, not taken by the connection.
    const controller = new AbortController()
    const withdrawn = f.request('withdrawn', { signal: controller.signal })
    const kept = f.request('kept')
    controller.abort()
    await rejectsWith(withdrawn, AbortError)
    gated.open()
    await s.write('reply:first')
    expect(await s.read()).toBe('kept')
    await s.write('reply:kept')
    expect(await first).toBe('reply:first')
    expect(await kept).toBe('reply:kept')
    expect(new TextDecoder().decode(Buffer.concat(client.written))).toBe('first\nkept\n')
  })

  it('framed().request() rejects every outstanding and waiting request when the connection is reset', async () => {
    const { conn } = await connectTo((peer) => {
      if (peer.seen.length === 2) peer.socket.resetAndDestroy()
    })
    const f = framed(conn, lines(), { maxOutstandingRequests: 2 })
    const requests = [f.request('a'), f.request('b'), f.request('c')] // c waits for a slot
    for (const request of requests) await rejectsWith(request, ConnectionResetError)
  })

  it('framed().request() rejects every request with UnexpectedEndError naming how many were unanswered', async () => {
    const { conn } = await connectTo((peer) => {
      if (peer.seen.length === 3) peer.socket.end()
    })
    const f = framed(conn, lines())
    const requests = [f.request('a'), f.request('b'), f.request('c')]
    for (const request of requests) {
      const err = await rejectsWith(request, UnexpectedEndError)
      expect(err.message).toMatch(/ended before a reply to 3 requests/)
    }
    expect(await f.read()).toBeUndefined()
  })

  it('framed().request() throws ReadInUseError while a read() is pending, sending nothing', async () => {
    const { conn, peer } = await connectTo()
    const f = framed(conn, lines())
    const reading = f.read()
    const err = await rejectsWith(f.request('x'), ReadInUseError)
    expect(err.message).toMatch(/read\(\) is pending/)
    peer.send('hello')
    expect(await reading).toBe('hello')
    const y = f.request('y')
    await peer.received(1)
    peer.send('reply:y')
    expect(await y).toBe('reply:y')
    expect(peer.seen).toEqual(['y'])
  })

  it('framed().read() and source throw ReadInUseError while request()s await replies', async () => {
    const { conn, peer } = await connectTo()
    const f = framed(conn, lines())
    const pending = [f.request('a'), f.request('b')]
    const err = await rejectsWith(f.read(), ReadInUseError)
    expect(err.message).toMatch(/2 request\(\)s await their replies/)
    await rejectsWith(f.source.next(), ReadInUseError)
    await peer.received(2)
    peer.send('reply:a', 'reply:b')
    expect(await Promise.all(pending)).toEqual(['reply:a', 'reply:b'])
  })

  it('framed().request() rejects a message the codec cannot encode alone, without taking a slot', async () => {
    const { conn, peer } = await connectTo(replyServer)
    const f = framed(conn, lines(), { maxOutstandingRequests: 2 })
    const a = f.request('a')
    const bad = f.request('two\nlines')
    const rest = [f.request('c'), f.request('d')]
    await rejectsWith(bad, InvalidFrameError)
    expect(await Promise.all([a, ...rest])).toEqual(['reply:a', 'reply:c', 'reply:d'])
    expect(peer.seen).toEqual(['a', 'c', 'd'])
  })

  it('framed().request() pipelines with a codec that has only encode and decode', async () => {
    const { conn } = await connectTo(replyServer)
    const inner = lines()
    const minimal: Codec<string> = { encode: inner.encode, decode: inner.decode }
    const f = framed(conn, minimal, { maxOutstandingRequests: 8 })
    const requests = Array.from({ length: 50 }, (_, i) => `m${i}`)
    const replies = await Promise.all(requests.map((request) => f.request(request)))
    for (let i = 0; i < requests.length; i++) expect(replies[i]).toBe(`reply:${requests[i]}`)
  })

  it('framed() rejects a maxOutstandingRequests that is not a positive integer or Infinity', () => {
    const [client] = duplexPair()
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => framed(client, lines(), { maxOutstandingRequests: bad })).toThrow(RangeError)
    }
    const notANumber: { maxOutstandingRequests?: unknown } = { maxOutstandingRequests: '4' }
    expect(() => framed(client, lines(), notANumber as FramedOptions)).toThrow(TypeError)
    expect(() => framed(client, lines(), { maxOutstandingRequests: Infinity })).not.toThrow()
  })
})

describe('framed().request(), one at a time (the fast path)', () => {
  it('framed().request() gets a reply that arrives in two parts', async () => {
    const { conn, peer } = await connectTo((p, received) => {
      // Half the reply now, the rest once the first half was surely read on its own.
      p.socket.write(`reply:${received[0]?.slice(0, 2)}`)
      setTimeout(() => p.socket.write(`${received[0]?.slice(2)}\n`), 20)
    })
    const f = framed(conn, lines())
    expect(await f.request('split')).toBe('reply:split')
    expect(peer.seen).toEqual(['split'])
  })

  it('framed().request() gets one reply per call, in order, over 1,000 calls awaited one by one', async () => {
    const { conn } = await connectTo(replyServer)
    const f = framed(conn, lines())
    for (let i = 0; i < 1000; i++) {
      const reply = await f.request(`n${i}`)
      if (reply !== `reply:n${i}`) expect(reply).toBe(`reply:n${i}`)
    }
    expect(await f.request('last')).toBe('reply:last')
  })

  it('framed().request() rejects with UnexpectedEndError when the peer ends instead of replying, and so do later reads', async () => {
    const { conn } = await connectTo((p) => p.socket.end())
    const f = framed(conn, lines())
    await rejectsWith(f.request('anyone?'), UnexpectedEndError)
    expect(await f.read()).toBeUndefined()
  })

  it('framed().request() rejects with the codec error of a bad reply, and later requests with the same', async () => {
    const { conn } = await connectTo((p) => p.socket.write(Buffer.from([0xff, 0xfe, 0x0a])))
    const f = framed(conn, lines())
    const err = await rejectsWith(f.request('hi'), InvalidFrameError)
    await expect(f.request('again')).rejects.toBe(err)
  })
})
