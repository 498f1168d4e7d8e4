/**
 * The stack under test: it-socket's public API, used as its README shows.
 *
 * @module
 */

import { type Connection, connect, framed, lengthPrefixed, lines, listen, pipe, type Server } from 'it-socket'
import { BACKLOG } from './raw-net.js'

/** Starts the it-socket server for `mode`; resolves once listening. */
export async function itSocketServer(mode: 'bytes' | 'lp' | 'lines' | 'paused'): Promise<Server> {
  const server = await listen({ host: '127.0.0.1', port: 0, backlog: BACKLOG, onError: () => {} })
  if (mode === 'paused') {
    // listen() only: accept, hold, never read.
    const held: Connection[] = []
    void (async () => {
      for await (const conn of server) held.push(conn)
    })()
  } else if (mode === 'bytes') {
    void server.serve((conn) => pipe(conn, conn))
  } else if (mode === 'lp') {
    const lp = lengthPrefixed()
    void server.serve((conn) => pipe(conn, lp.decode, lp.encode, conn))
  } else {
    const l = lines()
    void server.serve((conn) => pipe(conn, l.decode, l.encode, conn))
  }
  return server
}

/** Ping-pong with the request/response helper. Resolves with each round trip's time in nanoseconds. */
export async function itSocketPingPong(
  port: number,
  payload: Uint8Array,
  count: number,
): Promise<Float64Array> {
  await using conn = await connect({ host: '127.0.0.1', port })
  const f = framed(conn, lengthPrefixed())
  const times = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint()
    const reply = await f.request(payload)
    times[i] = Number(process.hrtime.bigint() - t0)
    if (reply.length !== payload.length || reply[0] !== payload[0])
      throw new Error('ping-pong echo check failed')
  }
  await f.sink([])
  return times
}
