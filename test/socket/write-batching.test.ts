/**
 * What makes a pipe from a user's source fast, asserted without a clock: messages a source produces
 * in a burst leave in far fewer socket writes than messages, whatever the shape of the source, and
 * arrive whole and in order. Writes are counted as the process's write system calls
 * (`/proc/self/io`'s `syscw`, Linux): the peer is a plain node:net server in this process that only
 * reads, so the count is our client's writes plus a little of the test runner's own traffic.
 */
import { readFileSync } from 'node:fs'
import { type AddressInfo, createServer, type Server as NetServer, type Socket } from 'node:net'
import { connect, framed, lengthPrefixed, pipe } from 'it-socket'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const MESSAGES = 10_000
/** The target for 64-byte messages: at most one write per 20 messages. */
const MAX_WRITES = MESSAGES / 20

function writeSyscalls(): number {
  const match = /^syscw:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))
  if (match === null) throw new Error('/proc/self/io has no syscw line')
  return Number(match[1])
}

/** The i-th message: 64 bytes that say which message they are. */
function message(i: number): Uint8Array {
  const bytes = new Uint8Array(64).fill(i % 251)
  new DataView(bytes.buffer).setUint32(0, i)
  return bytes
}

let peer: NetServer
let received: Promise<Uint8Array[]>

beforeEach(async () => {
  let resolve: (messages: Uint8Array[]) => void = () => {}
  received = new Promise((r) => {
    resolve = r
  })
  // Reads only: decodes the frames it receives and hands them over at the end of the stream.
  peer = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    const lp = lengthPrefixed()
    void (async () => {
      const messages: Uint8Array[] = []
      for await (const m of lp.decode(socket)) messages.push(Uint8Array.from(m))
      socket.end()
      resolve(messages)
    })()
  })
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r))
})

afterEach(async () => {
  await new Promise((r) => peer.close(r))
})

async function expectAllInOrder(): Promise<void> {
  const messages = await received
  expect(messages.length).toBe(MESSAGES)
  for (let i = 0; i < MESSAGES; i++) {
    if (new DataView((messages[i] as Uint8Array).buffer).getUint32(0) !== i) {
      throw new Error(`message ${i} out of order`)
    }
  }
}

describe('Connection sink: writes per message', () => {
  const sources: Array<[string, () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>]> = [
    [
      'a sync generator',
      function* () {
        for (let i = 0; i < MESSAGES; i++) yield message(i)
      },
    ],
    ['an array', () => Array.from({ length: MESSAGES }, (_, i) => message(i))],
    [
      'an async generator',
      async function* () {
        for (let i = 0; i < MESSAGES; i++) yield message(i)
      },
    ],
  ]

  for (const [shape, source] of sources) {
    it(`pipe(${shape}, encode, conn) sends ${MESSAGES} messages of 64 B in at most ${MAX_WRITES} writes, whole and in order`, async () => {
      const conn = await connect({ host: '127.0.0.1', port: (peer.address() as AddressInfo).port })
      const before = writeSyscalls()
      await pipe(source(), lengthPrefixed().encode, conn)
      const writes = writeSyscalls() - before
      await expectAllInOrder()
      expect(writes).toBeLessThanOrEqual(MAX_WRITES)
      await conn.close()
    })
  }

  it(`framed().write() in a loop without awaiting sends ${MESSAGES} messages in at most ${MAX_WRITES} writes`, async () => {
    const conn = await connect({ host: '127.0.0.1', port: (peer.address() as AddressInfo).port })
    const f = framed(conn, lengthPrefixed())
    const before = writeSyscalls()
    const written: Promise<void>[] = []
    for (let i = 0; i < MESSAGES; i++) written.push(f.write(message(i)))
    await Promise.all(written)
    await f.sink([])
    const writes = writeSyscalls() - before
    await expectAllInOrder()
    expect(writes).toBeLessThanOrEqual(MAX_WRITES)
    await conn.close()
  })
})
