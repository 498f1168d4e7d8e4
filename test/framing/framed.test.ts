import { pipe } from 'it-pipe'
import type { Source } from 'it-stream-types'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import {
  AbortError,
  FrameTooLongError,
  ReadInUseError,
  SinkInUseError,
  SocketClosedError,
  UnexpectedEndError,
  UnwrappedError,
} from '../../src/errors.js'
import type { Codec } from '../../src/framing/codec.js'
import { type Framed, framed } from '../../src/framing/framed.js'
import { lengthPrefixed } from '../../src/framing/length-prefixed.js'
import { lines } from '../../src/framing/lines.js'
import { raw } from '../../src/framing/raw.js'
import { until } from '../../src/framing/until.js'
import { duplexPair } from '../../src/pair/duplex-pair.js'
import {
  bytes,
  collect,
  concatBytes,
  encodeAll,
  fromUtf8,
  gateAfterFirst,
  type MemoryDuplex,
  recordingPair,
  rejectsWith,
  scriptedDuplex,
  settle,
  throwsWith,
  utf8,
} from './helpers.js'

/** `framed(…, lines())` over one end of an in-memory connection, and the peer's end framed the same way. */
function linesPair(): { client: MemoryDuplex; f: Framed<string>; peer: Framed<string> } {
  const [client, server] = recordingPair()
  return { client, f: framed(client, lines()), peer: framed(server, lines()) }
}

describe('framed()', () => {
  it('framed() accepts a duplex typed like a Connection (sink taking Uint8Array | Uint8ArrayList)', async () => {
    interface ConnectionLike {
      source: AsyncGenerator<Uint8Array, void, unknown>
      sink: (source: Source<Uint8Array | Uint8ArrayList>) => Promise<void>
    }
    const memory = scriptedDuplex([utf8('a\n')])
    const conn: ConnectionLike = { source: memory.source as AsyncGenerator<Uint8Array>, sink: memory.sink }
    const f = framed(conn, lines())
    expect(await f.request('q')).toBe('a')
    expect(fromUtf8(concatBytes(memory.written))).toBe('q\n')
  })

  it('framed().read() returns each message, then undefined at the end of the stream', async () => {
    const f = framed(scriptedDuplex([utf8('a\nb'), utf8('\nc\n')]), lines())
    expect(await f.read()).toBe('a')
    expect(await f.read()).toBe('b')
    expect(await f.read()).toBe('c')
    expect(await f.read()).toBeUndefined()
    expect(await f.read()).toBeUndefined()
  })

  it('framed().source yields every message and can be mixed with read() in turn', async () => {
    const f = framed(scriptedDuplex([utf8('hello\none\ntwo\n')]), lines())
    expect(await f.read()).toBe('hello')
    expect(await collect(f.source)).toEqual(['one', 'two'])
  })

  it('framed().write() calls the underlying sink once and many writes in a tick arrive together', async () => {
    const conn = scriptedDuplex([])
    const f = framed(conn, lines())
    const writes = Array.from({ length: 100 }, (_, i) => f.write(`m${i}`))
    await settle() // one macrotask: everything written in the tick was taken within it
    // Queued writes are taken together, as one Uint8ArrayList: one step of the sink's loop.
    expect(conn.written.length).toBeLessThanOrEqual(2)
    await Promise.all(writes)
    expect(conn.sinkCalls).toBe(1)
    const expected = Array.from({ length: 100 }, (_, i) => `m${i}\n`).join('')
    expect(fromUtf8(concatBytes(conn.written))).toBe(expected)
  })

  it('framed().sink() writes every message, then ends the write side (the peer sees the end)', async () => {
    const [client, server] = duplexPair()
    await pipe(['a', 'b'], framed(client, lines()))
    expect(await collect(framed(server, lines()).source)).toEqual(['a', 'b'])
  })

  it('framed().sink([]) half-closes after write()s, through the same underlying sink call', async () => {
    const conn = scriptedDuplex([])
    const f = framed(conn, lengthPrefixed())
    await f.write(bytes(1))
    await f.sink([])
    await conn.ended
    expect(conn.sinkCalls).toBe(1)
    expect(concatBytes(conn.written)).toEqual(bytes(1, 1))
  })

  it('framed().sink() may be called once; write() after it ended fails with SocketClosedError', async () => {
    const f = framed(scriptedDuplex([]), lines())
    await f.sink(['x'])
    await rejectsWith(f.sink(['y']), SinkInUseError)
    await rejectsWith(f.write('z'), SocketClosedError)
  })

  it('framed().sink() waits for the connection once 64 KiB are queued (backpressure)', async () => {
    const conn = scriptedDuplex([])
    const gated = gateAfterFirst(conn.sink)
    const f = framed({ source: [], sink: gated.sink }, lengthPrefixed())
    let produced = 0
    function* messages() {
      for (let i = 0; i < 100; i++) {
        produced++
        yield new Uint8Array(4096)
      }
    }
    const sinking = f.sink(messages())
    await settle()
    // The connection took one message and waits: sink() stopped at the 64 KiB mark, not at 100.
    expect(produced).toBeGreaterThanOrEqual(16)
    expect(produced).toBeLessThan(25)
    gated.open()
    await sinking
    expect(produced).toBe(100)
    expect(concatBytes(conn.written).length).toBe(100 * (2 + 4096))
  })

  it('framed().sink() passes a source error on to the connection and rejects with it', async () => {
    const conn = scriptedDuplex([])
    const f = framed(conn, lines())
    const boom = new Error('boom')
    async function* failing() {
      yield 'a'
      throw boom
    }
    await expect(f.sink(failing())).rejects.toBe(boom)
    await rejectsWith(f.write('after'), Error)
  })

  it('framed().request() writes, then reads the reply: a request/response loop', async () => {
    const [client, server] = duplexPair()
    // An upper-casing server.
    const s = framed(server, lines())
    const serving = pipe(
      s.source,
      async function* (requests) {
        for await (const request of requests) yield request.toUpperCase()
      },
      s,
    )
    const f = framed(client, lines())
    const replies: string[] = []
    for (const word of ['ping', 'pong', 'done']) replies.push(await f.request(word))
    expect(replies).toEqual(['PING', 'PONG', 'DONE'])
    await f.sink([])
    await serving
  })

  it('framed().request() fails with UnexpectedEndError when the stream ends without a reply', async () => {
    const f = framed(scriptedDuplex([]), lines())
    const err = await rejectsWith(f.request('anyone?'), UnexpectedEndError)
    expect(err.message).toBe('Cannot read reply: the stream ended before a reply to 1 request')
  })

  it('framed().read() fails with AbortError and loses nothing: the next read gets the message', async () => {
    const { f, peer } = linesPair()
    const controller = new AbortController()
    const reading = f.read({ signal: controller.signal })
    controller.abort(new Error('stop'))
    const err = await rejectsWith(reading, AbortError)
    expect((err.cause as Error).message).toBe('stop')
    await rejectsWith(f.read({ signal: controller.signal }), AbortError) // aborted on entry
    await peer.write('late')
    expect(await f.read()).toBe('late')
  })

  it('framed().read() throws ReadInUseError while another read() is pending', async () => {
    const { f, peer } = linesPair()
    const first = f.read()
    const err = await rejectsWith(f.read(), ReadInUseError)
    expect(err.message).toBe('Cannot read: a read() is pending')
    await peer.write('x')
    expect(await first).toBe('x')
  })

  it('framed().source throws ReadInUseError while a read() is pending', async () => {
    const { f, peer } = linesPair()
    const first = f.read()
    const err = await rejectsWith(f.source.next(), ReadInUseError)
    expect(err.message).toMatch(/read\(\) is pending/)
    await peer.write('x')
    expect(await first).toBe('x')
  })

  it('framed().read() throws ReadInUseError while source waits for a message', async () => {
    const { f, peer } = linesPair()
    const next = f.source.next()
    const err = await rejectsWith(f.read(), ReadInUseError)
    expect(err.message).toMatch(/source is waiting/)
    await peer.write('x')
    expect(await next).toEqual({ done: false, value: 'x' })
  })

  it('framed().request() throws ReadInUseError while source waits for a message, sending nothing', async () => {
    const { client, f, peer } = linesPair()
    const next = f.source.next()
    await rejectsWith(f.request('q'), ReadInUseError)
    await peer.write('x')
    expect(await next).toEqual({ done: false, value: 'x' })
    expect(client.written).toEqual([])
  })

  it('framed().read() rejects with the codec error, and so does every later read', async () => {
    const f = framed(scriptedDuplex([utf8('ok\n'), utf8('x'.repeat(20))]), lines({ maxLength: 10 }))
    expect(await f.read()).toBe('ok')
    await rejectsWith(f.read(), FrameTooLongError)
    await rejectsWith(f.read(), FrameTooLongError)
  })

  it('framed().source rejects with the codec error, and later reads do too', async () => {
    const f = framed(scriptedDuplex([utf8('ok\nxxxxxxxxxxxxxxxxxxxx\n')]), lines({ maxLength: 10 }))
    await rejectsWith(collect(f.source), FrameTooLongError)
    await rejectsWith(f.read(), FrameTooLongError)
  })

  it('framed().write() with an aborted signal withdraws a message the connection has not taken', async () => {
    const conn = scriptedDuplex([])
    const gated = gateAfterFirst(conn.sink)
    const f = framed({ source: [], sink: gated.sink }, lines())
    await f.write('first') // taken; the sink now waits at its gate
    const controller = new AbortController()
    const withdrawn = f.write('withdrawn', { signal: controller.signal })
    const kept = f.write('kept')
    controller.abort()
    await rejectsWith(withdrawn, AbortError)
    gated.open()
    await kept
    await f.sink([])
    expect(conn.written.map(fromUtf8)).toEqual(['first\n', 'kept\n'])
    expect(conn.sinkCalls).toBe(1)
  })

  it('framed().write() rejects pending and later writes when the connection stops taking data', async () => {
    const f = framed(
      {
        source: [],
        sink: async (source) => {
          for await (const _ of source) break // takes one chunk, then stops
        },
      },
      lines(),
    )
    await f.write('a')
    await rejectsWith(f.write('b'), SocketClosedError)
  })

  it('framed().write() rejects with the error of a failing connection sink', async () => {
    const broken = new Error('EPIPE')
    const f = framed(
      {
        source: [],
        sink: async () => {
          throw broken
        },
      },
      lines(),
    )
    const first = f.write('a')
    await expect(first).rejects.toBe(broken)
    await expect(f.write('b')).rejects.toBe(broken)
  })

  it('framed().unwrap() replays unconsumed bytes so lines() can switch to lengthPrefixed()', async () => {
    const frames = await encodeAll(lengthPrefixed(), [utf8('frame one'), utf8('two\nwith newline')])
    // The last line of the handshake and the first frames arrive in one chunk.
    const conn = scriptedDuplex([
      utf8('HELLO 1\nSTART\n'),
      concatBytes([frames.subarray(0, 5)]),
      frames.subarray(5),
    ])
    const handshake = framed(conn, lines())
    expect(await handshake.read()).toBe('HELLO 1')
    expect(await handshake.read()).toBe('START')
    const binary = framed(handshake.unwrap(), lengthPrefixed())
    expect((await collect(binary.source)).map(fromUtf8)).toEqual(['frame one', 'two\nwith newline'])
  })

  it('framed().unwrap() replays the rest of the chunk holding the last line', async () => {
    const frames = await encodeAll(lengthPrefixed(), [utf8('a\nb'), utf8('c')])
    const conn = scriptedDuplex([concatBytes([utf8('OK\n'), frames])])
    const handshake = framed(conn, lines())
    expect(await handshake.read()).toBe('OK')
    const binary = framed(handshake.unwrap(), lengthPrefixed())
    expect((await collect(binary.source)).map(fromUtf8)).toEqual(['a\nb', 'c'])
  })

  it('framed().unwrap() switches protocol in both directions over one connection sink', async () => {
    const [client, server] = recordingPair()
    const serving = (async () => {
      const s = framed(server, lines())
      expect(await s.read()).toBe('UPGRADE')
      await s.write('OK')
      const binary = framed(s.unwrap(), lengthPrefixed())
      for await (const frame of binary.source) await binary.write(frame.reverse())
      await binary.sink([])
    })()
    const c = framed(client, lines())
    expect(await c.request('UPGRADE')).toBe('OK')
    const binary = framed(c.unwrap(), lengthPrefixed())
    expect([...(await binary.request(bytes(1, 2, 3)))]).toEqual([3, 2, 1])
    await binary.sink([])
    await serving
    expect(client.sinkCalls).toBe(1)
    expect(server.sinkCalls).toBe(1)
  })

  it('framed().unwrap() after breaking out of source goes on where it stopped', async () => {
    const conn = scriptedDuplex([utf8('a\nb\nSTART\nraw bytes'), utf8(' and more')])
    const f = framed(conn, lines())
    const seen: string[] = []
    for await (const line of f.source) {
      seen.push(line)
      if (line === 'START') break
    }
    expect(seen).toEqual(['a', 'b', 'START'])
    const rest = concatBytes(await collect(f.unwrap().source))
    expect(fromUtf8(rest)).toBe('raw bytes and more')
  })

  it('framed().unwrap() replays the unread buffers of a Uint8ArrayList chunk', async () => {
    const conn = scriptedDuplex([new Uint8ArrayList(utf8('x\n'), utf8('y'), utf8('z'))])
    const f = framed(conn, lines())
    expect(await f.read()).toBe('x')
    expect(fromUtf8(concatBytes(await collect(f.unwrap().source)))).toBe('yz')
  })

  it('framed().unwrap() throws ReadInUseError while a read() is pending', async () => {
    const { f, peer } = linesPair()
    const pending = f.read()
    const err = throwsWith(() => f.unwrap(), ReadInUseError)
    expect(err.message).toBe('Cannot unwrap: a read() is pending')
    await peer.write('x')
    expect(await pending).toBe('x')
  })

  it('framed().unwrap() throws ReadInUseError while request()s await replies', async () => {
    const { f, peer } = linesPair()
    const reply = f.request('q')
    const err = throwsWith(() => f.unwrap(), ReadInUseError)
    expect(err.message).toMatch(/1 request\(\) awaits its reply/)
    await peer.write('r')
    expect(await reply).toBe('r')
  })

  it('framed().unwrap() throws SinkInUseError while sink() is writing', async () => {
    const conn = scriptedDuplex([])
    const f = framed(conn, lines())
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    async function* messages() {
      yield 'a'
      await gate // sink() is still iterating its source
      yield 'b'
    }
    const sinking = f.sink(messages())
    await settle()
    const err = throwsWith(() => f.unwrap(), SinkInUseError)
    expect(err.message).toBe('Cannot unwrap: sink() is writing')
    release()
    await sinking
    expect(fromUtf8(concatBytes(conn.written))).toBe('a\nb\n')
  })

  const afterUnwrap: Array<[string, (f: Framed<string>) => Promise<unknown>]> = [
    ['framed().read()', (f) => f.read()],
    ['framed().write()', (f) => f.write('x')],
    ['framed().request()', (f) => f.request('x')],
    ['framed().sink()', (f) => f.sink(['x'])],
    ['framed().source', (f) => f.source.next()],
    ['framed().unwrap()', async (f) => f.unwrap()],
  ]

  it.each(afterUnwrap)('%s after unwrap() fails with UnwrappedError', async (_, use) => {
    const conn = scriptedDuplex([utf8('a\n')])
    const f = framed(conn, lines())
    const bytesDuplex = f.unwrap()
    const err = await rejectsWith(use(f), UnwrappedError)
    expect(err.message).toMatch(/unwrap/)
    // Nothing was read or written through the framed stream: the bytes are all still there.
    expect(fromUtf8(concatBytes(await collect(bytesDuplex.source)))).toBe('a\n')
    expect(conn.written).toEqual([])
  })

  it('framed().unwrap().sink may be called once, and ends the write side', async () => {
    const conn = scriptedDuplex([])
    const f = framed(conn, lines())
    await f.write('hi')
    const rawDuplex = f.unwrap()
    await rawDuplex.sink([bytes(1, 2)])
    await rejectsWith(rawDuplex.sink([]), SinkInUseError)
    await conn.ended
    expect(conn.sinkCalls).toBe(1)
    expect([...concatBytes(conn.written)]).toEqual([...utf8('hi\n'), 1, 2])
  })

  it('framed() works with a codec that has only encode and decode', async () => {
    const inner = lengthPrefixed()
    const minimal: Codec<Uint8Array> = { encode: inner.encode, decode: inner.decode }
    const [client, server] = duplexPair()
    const c = framed(client, minimal)
    const s = framed(server, minimal)
    await Promise.all([c.write(bytes(1)), c.write(bytes(2, 3))])
    expect([...((await s.read()) as Uint8Array)]).toEqual([1])
    expect([...((await s.read()) as Uint8Array)]).toEqual([2, 3])
    expect(() => s.unwrap()).toThrow(TypeError)
  })

  it('framed() composes with pipe() and until() over raw bytes', async () => {
    const [client, server] = duplexPair()
    const f = framed(client, raw())
    const received = pipe(framed(server, lines()).source, until('bye'), (source) => collect(source))
    await pipe([utf8('hi\nb'), utf8('ye\nignored\n')], f)
    expect(await received).toEqual(['hi', 'bye'])
  })
})
