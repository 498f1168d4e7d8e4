import {
  AbortError,
  ConnectionResetError,
  pipe,
  SinkInUseError,
  toWebStreams,
  WEB_STREAM_HIGH_WATER_MARK,
} from 'it-socket'
import { describe, expect, it } from 'vitest'
import { collectBytes, decoder, encoder, pseudoRandomBytes, sha256 } from '../helpers/bytes.js'
import { isPending, readAllWeb, rejection, serverPerTest, untilSettled } from './helpers.js'

const { pair, rawPair } = serverPerTest()

describe('toWebStreams()', () => {
  it('toWebStreams() round trip: both ends as web streams, each half-closes, closed resolves', async () => {
    const { client, server } = await pair()
    const c = toWebStreams(client)
    const s = toWebStreams(server)
    const data = pseudoRandomBytes(300_000)
    const serving = (async () => {
      const request = await readAllWeb(s.readable)
      const writer = s.writable.getWriter()
      await writer.write(request.reverse())
      await writer.close()
    })()
    const writer = c.writable.getWriter()
    await writer.write(data)
    await writer.close()
    const reply = await readAllWeb(c.readable)
    await serving
    expect(sha256([reply])).toBe(sha256([data.slice().reverse()]))
    await Promise.all([c.closed, s.closed])
    expect(client.isClosed && server.isClosed).toBe(true)
  })

  it('toWebStreams() readable is a byte stream: a BYOB reader fills its own buffer, a bigger chunk is split', async () => {
    const { client, server } = await pair()
    const data = pseudoRandomBytes(10_000)
    await server.sink([data])
    const reader = toWebStreams(client).readable.getReader({ mode: 'byob' })
    const received: Uint8Array[] = []
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(1000))
      if (done) break
      expect(value.byteLength).toBeLessThanOrEqual(1000)
      received.push(value)
    }
    expect(received.length).toBeGreaterThanOrEqual(10)
    expect(sha256(received)).toBe(sha256([data]))
  })

  it('toWebStreams() readable: a reader that stops pulling stalls the peer (bytes in flight stay bounded)', async () => {
    const { client, server } = await pair()
    const web = toWebStreams(client)
    const chunk = new Uint8Array(64 * 1024)
    let sent = 0
    const writing = server.sink(
      (async function* () {
        for (let i = 0; i < 1024; i++) {
          sent++
          yield chunk // 64 MiB in all: cannot fit in the kernel's and Node's buffers
        }
      })(),
    )
    await untilSettled(() => sent)
    expect(sent).toBeLessThan(1024)
    // Nothing was pulled into the web stream: the connection holds its bounded queue, no more.
    expect(client.readableLength).toBeLessThanOrEqual(192 * 1024)
    // Reading resumes the flow; everything arrives.
    const received = await readAllWeb(web.readable)
    await writing
    expect(received.byteLength).toBe(1024 * chunk.byteLength)
  })

  it('toWebStreams() writable: writer.ready waits while the peer does not read, and resumes when it does', async () => {
    const { client, server } = await pair()
    const writer = toWebStreams(client).writable.getWriter()
    const chunk = new Uint8Array(64 * 1024)
    let written = 0
    const writing = (async () => {
      for (let i = 0; i < 1024; i++) {
        await writer.ready
        void writer.write(chunk).catch(() => {})
        written++
      }
      await writer.close()
    })()
    await untilSettled(() => written)
    expect(written).toBeLessThan(1024)
    expect(await isPending(writer.ready)).toBe(true)
    const received = await collectBytes(server.source)
    await writing
    expect(received.byteLength).toBe(1024 * chunk.byteLength)
    expect(WEB_STREAM_HIGH_WATER_MARK).toBe(64 * 1024)
  })

  it('toWebStreams() writer.close() half-closes: the peer sees the end and can still send back', async () => {
    const { client, server } = await pair()
    const web = toWebStreams(client)
    const writer = web.writable.getWriter()
    await writer.write(encoder.encode('question'))
    await writer.close()
    expect(decoder.decode(await collectBytes(server.source))).toBe('question')
    expect(client.isClosed).toBe(false)
    await server.sink([encoder.encode('answer')])
    expect(decoder.decode(await readAllWeb(web.readable))).toBe('answer')
    await web.closed
  })

  it('toWebStreams() readable.cancel() stops reading without destroying: the socket still writes', async () => {
    const { client, server } = await pair()
    const web = toWebStreams(client)
    const reader = web.readable.getReader()
    const pending = reader.read()
    await reader.cancel()
    expect((await pending).done).toBe(true)
    expect(client.isClosed).toBe(false)
    const writer = web.writable.getWriter()
    await writer.write(encoder.encode('still writing'))
    await writer.close()
    expect(decoder.decode(await collectBytes(server.source))).toBe('still writing')
    await server.sink([])
    await web.closed // both directions done: the connection closed itself
    expect(client.isClosed).toBe(true)
  })

  it('toWebStreams() readable.cancel() before any read: the connection learns it and closes once the writable is closed', async () => {
    const { client, server } = await pair()
    const web = toWebStreams(client)
    await web.readable.cancel()
    const writer = web.writable.getWriter()
    await writer.write(encoder.encode('x'))
    await writer.close()
    expect(decoder.decode(await collectBytes(server.source))).toBe('x')
    await server.sink([])
    await web.closed
    expect(client.isClosed).toBe(true)
  })

  it('toWebStreams() peer reset: read() rejects with ConnectionResetError, and so does closed', async () => {
    const { peer, server } = await rawPair()
    const web = toWebStreams(server)
    const reader = web.readable.getReader()
    peer.write('before the reset')
    const first = await reader.read()
    expect(decoder.decode(first.value)).toBe('before the reset')
    const reading = reader.read()
    peer.resetAndDestroy()
    const err = await rejection(reading)
    expect(err).toBeInstanceOf(ConnectionResetError)
    expect((err as ConnectionResetError).code).toBe('ERR_CONNECTION_RESET')
    expect(await rejection(web.closed)).toBeInstanceOf(ConnectionResetError)
  })

  it('toWebStreams() writer.abort(reason) destroys the connection: both directions fail with reason', async () => {
    const { client, server } = await pair()
    const web = toWebStreams(client)
    const reader = web.readable.getReader()
    const reading = reader.read()
    const boom = new Error('boom')
    await web.writable.abort(boom)
    expect(await rejection(reading)).toBe(boom)
    expect(await rejection(web.closed)).toBe(boom)
    await client.closed
    expect((await collectBytes(server.source)).byteLength).toBe(0) // the peer sees the connection go
  })

  it('toWebStreams() writable.abort() with a non-Error reason aborts with AbortError', async () => {
    const { client } = await pair()
    const web = toWebStreams(client)
    await web.writable.abort('stop')
    const err = await rejection(web.closed)
    expect(err).toBeInstanceOf(AbortError)
    expect((err as AbortError).cause).toBe('stop')
  })

  it('toWebStreams() writable rejects a chunk that is not a Uint8Array with a TypeError and aborts', async () => {
    const { client } = await pair()
    const web = toWebStreams(client)
    const writer = web.writable.getWriter() as WritableStreamDefaultWriter<unknown>
    const err = await rejection(writer.write('text'))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as Error).message).toMatch(/cannot write a string/)
    await client.closed
  })

  it('toWebStreams() over a connection whose sink was taken: the writable fails with SinkInUseError', async () => {
    const { client } = await pair()
    void pipe([], client)
    const writer = toWebStreams(client).writable.getWriter()
    expect(await rejection(writer.write(new Uint8Array(1)))).toBeInstanceOf(SinkInUseError)
  })

  it('toWebStreams() validates conn and options before making anything', async () => {
    const { client } = await pair()
    const bad: unknown[] = [
      { readableHighWaterMark: -1 },
      { writableHighWaterMark: 0 },
      { writableHighWaterMark: 1.5 },
    ]
    for (const options of bad) expect(() => toWebStreams(client, options as object)).toThrow(RangeError)
    expect(() => toWebStreams(client, { readableHighWaterMark: '1' } as object)).toThrow(
      /readableHighWaterMark/,
    )
    expect(() => toWebStreams({} as never)).toThrow(TypeError)
    // Nothing was started: the connection's sink is still free.
    await client.sink([])
  })
})
