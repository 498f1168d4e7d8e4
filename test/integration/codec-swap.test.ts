import {
  type Codec,
  connect,
  FrameTooLongError,
  framed,
  json,
  lengthPrefixed,
  lines,
  listen,
  pipe,
  until,
} from 'it-socket'
import { describe, expect, it } from 'vitest'
import { encoder } from '../helpers/bytes.js'
import { portOf, rawConnect, readAll } from '../helpers/net.js'

// The seed's looping echo pair over real sockets; the only thing that changes between runs is the codec.
const cases: Array<{ name: string; codec: () => Codec<string> }> = [
  { name: 'lines()', codec: () => lines() },
  { name: 'text(lengthPrefixed())', codec: () => textOverLp() },
]

function textOverLp(): Codec<string> {
  const lp = lengthPrefixed()
  return {
    encode: (source) =>
      lp.encode(
        (async function* () {
          for await (const s of source) yield encoder.encode(s)
        })(),
      ),
    decode: async function* (source) {
      for await (const bytes of lp.decode(source)) yield new TextDecoder().decode(bytes)
    },
  }
}

describe.each(cases)('the seed looping echo pair with $name', ({ codec }) => {
  it('echoes each message until bye, then both sides close cleanly', async () => {
    await using server = await listen({ host: '127.0.0.1' })
    const serving = server.serve((conn) => {
      const c = codec()
      return pipe(conn, c.decode, until('bye'), c.encode, conn)
    })
    await using conn = await connect({ host: '127.0.0.1', port: portOf(server) })
    const messages = framed(conn, codec())
    const replies: string[] = []
    for (const message of ['hello', '안녕하세요', '', 'bye']) replies.push(await messages.request(message))
    expect(replies).toEqual(['hello', '안녕하세요', '', 'bye'])
    // After bye the server has ended its side.
    expect(await messages.read()).toBeUndefined()
    await conn.close()
    await server.close()
    await serving
  })
})

describe('framing over real sockets', () => {
  it('lengthPrefixed() with until() echoes byte messages: the headline pipe', async () => {
    await using server = await listen({ host: '127.0.0.1' })
    void server.serve((conn) => {
      const lp = lengthPrefixed()
      return pipe(conn, lp.decode, until('bye'), lp.encode, conn)
    })
    await using conn = await connect({ host: '127.0.0.1', port: portOf(server) })
    const messages = framed(conn, lengthPrefixed())
    const many = Array.from({ length: 1000 }, (_, i) => encoder.encode(`message ${i}`))
    const reading = (async () => {
      const got: string[] = []
      for await (const m of messages.source) got.push(new TextDecoder().decode(m))
      return got
    })()
    await messages.sink([...many, encoder.encode('bye')])
    const got = await reading
    expect(got).toHaveLength(1001)
    expect(got[999]).toBe('message 999')
    expect(got[1000]).toBe('bye')
  })

  it('a lines() handshake then lengthPrefixed() frames on one connection loses no bytes', async () => {
    await using server = await listen({ host: '127.0.0.1' })
    void server.serve(async (conn) => {
      const hello = framed(conn, lines())
      expect(await hello.read()).toBe('HELLO lp')
      await hello.write('OK')
      // Switch: whatever followed the handshake line in the same chunk is replayed first.
      const frames = framed(hello.unwrap(), json<{ n: number }>(lengthPrefixed()))
      for await (const value of frames.source) await frames.write({ n: value.n * 2 })
      await frames.sink([])
    })
    // A raw peer sends the handshake line and the first frames in one write, so they share a chunk.
    const peer = await rawConnect(portOf(server))
    const lpFrame = (value: unknown): Buffer => {
      const body = Buffer.from(JSON.stringify(value))
      return Buffer.concat([Buffer.from([body.length]), body])
    }
    const replies = readAll(peer)
    peer.end(
      Buffer.concat([Buffer.from('HELLO lp\n'), lpFrame({ n: 1 }), lpFrame({ n: 2 }), lpFrame({ n: 21 })]),
    )
    const bytes = await replies
    expect(bytes.subarray(0, 3).toString()).toBe('OK\n')
    const decoded: unknown[] = []
    for (let i = 3; i < bytes.length; i += 1 + (bytes[i] as number)) {
      decoded.push(JSON.parse(bytes.subarray(i + 1, i + 1 + (bytes[i] as number)).toString()))
    }
    expect(decoded).toEqual([{ n: 2 }, { n: 4 }, { n: 42 }])
  })

  it("a peer's oversized frame ends only that connection with FrameTooLongError, reported with its address", async () => {
    const reports: Error[] = []
    await using server = await listen({ host: '127.0.0.1', onError: (err) => reports.push(err) })
    void server.serve((conn) => {
      const lp = lengthPrefixed({ maxLength: 1024 })
      return pipe(conn, lp.decode, lp.encode, conn)
    })
    const hostile = await rawConnect(portOf(server))
    const hostileEnd = readAll(hostile).catch(() => Buffer.alloc(0))
    // A varint announcing 4 GiB - 1.
    hostile.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))
    await hostileEnd
    expect(reports).toHaveLength(1)
    expect(reports[0]).toBeInstanceOf(FrameTooLongError)
    expect(reports[0]?.message).toBe('Cannot decode frame: length 4294967295 exceeds maxLength 1024')
    // The server goes on serving others.
    await using conn = await connect({ host: '127.0.0.1', port: portOf(server) })
    expect(new TextDecoder().decode(await framed(conn, lengthPrefixed()).request(encoder.encode('ok')))).toBe(
      'ok',
    )
  })
})
