/**
 * The it-* stack a user assembles today without it-socket: `stream-to-it` turns the `net.Socket`
 * into a duplex, `it-pipe` composes, `it-length-prefixed` (or `it-split` for lines) frames. Written
 * the way their READMEs show, with `noDelay` and `allowHalfOpen` set as a careful user would.
 *
 * @module
 */

import { connect, createServer, type Server, type Socket } from 'node:net'
import * as lp from 'it-length-prefixed'
import { pipe } from 'it-pipe'
import split from 'it-split'
import { duplex } from 'stream-to-it'
import type { Uint8ArrayList } from 'uint8arraylist'
import { BACKLOG } from './raw-net.js'

const utf8Decoder = new TextDecoder()
const utf8Encoder = new TextEncoder()

async function* toText(source: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  for await (const line of source) yield utf8Decoder.decode(line)
}

async function* toLines(source: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  for await (const line of source) yield utf8Encoder.encode(`${line}\n`)
}

function handle(socket: Socket, mode: 'bytes' | 'lp' | 'lines'): Promise<void> {
  const d = duplex<Uint8Array>(socket)
  if (mode === 'bytes') return pipe(d, d)
  if (mode === 'lp') {
    return pipe(
      d.source,
      (source) => lp.decode(source),
      (source) => lp.encode(source),
      d.sink,
    )
  }
  return pipe(d.source, (source) => split(source), toText, toLines, d.sink)
}

/** Starts the it-* stack's echo server for `mode`; resolves once listening. */
export function itStackServer(mode: 'bytes' | 'lp' | 'lines'): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    socket.on('error', () => socket.destroy())
    handle(socket, mode).catch((err: unknown) => socket.destroy(err as Error))
  })
  return new Promise((resolve) =>
    server.listen({ host: '127.0.0.1', port: 0, backlog: BACKLOG }, () => resolve(server)),
  )
}

/**
 * Ping-pong the it-* way, without it-pushable: write one encoded frame to the socket, then take the
 * next decoded message from the `it-length-prefixed` iterator over the socket. Resolves with each
 * round trip's time in nanoseconds.
 */
export async function itStackPingPong(
  port: number,
  payload: Uint8Array,
  count: number,
): Promise<Float64Array> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const d = duplex<Uint8Array>(socket)
  const replies: AsyncIterator<Uint8ArrayList> = lp.decode(d.source)[Symbol.asyncIterator]()
  const times = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint()
    socket.write(lp.encode.single(payload).subarray())
    const reply = await replies.next()
    times[i] = Number(process.hrtime.bigint() - t0)
    if (
      reply.done === true ||
      reply.value.byteLength !== payload.length ||
      reply.value.get(0) !== payload[0]
    ) {
      throw new Error('ping-pong echo check failed')
    }
  }
  socket.end()
  await replies.return?.()
  socket.destroy()
  return times
}
