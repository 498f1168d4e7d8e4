/**
 * A line-based peer on loopback for the `framed()` tests, written with node:net (not it-socket) so the
 * peer's side is scripted byte for byte: what it received, when it answers, how it ends.
 */

import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { afterEach } from 'vitest'
import { connect } from '../../src/socket/connect.js'
import type { Connection } from '../../src/socket/connection.js'

/** The server's end of one connection. */
export interface LinePeer {
  socket: Socket
  /** Every line received, in order (without `\n`). */
  seen: string[]
  /** Resolves once `n` lines were received in all. */
  received(n: number): Promise<void>
  /** Writes `lines`, each ended by `\n`, in one write. */
  send(...lines: string[]): void
}

/** Called with the complete lines of each chunk the peer receives (already added to `seen`). */
export type OnLines = (peer: LinePeer, lines: string[]) => void

/** Replies `reply:<line>` to each line, one write per chunk received. */
export const replyServer: OnLines = (peer, lines) => peer.send(...lines.map((line) => `reply:${line}`))

export interface LineServer {
  /** Connects an it-socket client and returns it with the server's end of the connection. */
  connect(): Promise<{ conn: Connection; peer: LinePeer }>
  /** Destroys every connection and closes the server. */
  close(): Promise<void>
}

/** Listens on 127.0.0.1, port 0; each connection's lines go to `onLines` (none: the peer only records). */
export async function lineServer(onLines?: OnLines): Promise<LineServer> {
  const sockets = new Set<Socket>()
  const accepted: LinePeer[] = []
  const acceptWaiters: Array<(peer: LinePeer) => void> = []
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {}) // resets are part of some tests
    const peer = linePeer(socket, onLines)
    const waiter = acceptWaiters.shift()
    if (waiter !== undefined) waiter(peer)
    else accepted.push(peer)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('not a TCP server')
  const clients = new Set<Connection>()
  return {
    async connect() {
      const peerAccepted = new Promise<LinePeer>((resolve) => {
        const peer = accepted.shift()
        if (peer !== undefined) resolve(peer)
        else acceptWaiters.push(resolve)
      })
      const conn = await connect({ host: '127.0.0.1', port: address.port })
      clients.add(conn)
      return { conn, peer: await peerAccepted }
    },
    async close() {
      for (const conn of clients) conn.abort()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Line servers that last one test: `connectTo()` starts one for the running test and connects to it;
 * the `afterEach` this registers closes it. Call once, at the top of a test file.
 */
export function lineServerPerTest(): {
  /** Starts a server for this test (see {@link lineServer}). */
  startServer(onLines?: OnLines): Promise<LineServer>
  /** Starts a server for this test and connects to it. */
  connectTo(onLines?: OnLines): Promise<{ conn: Connection; peer: LinePeer }>
} {
  const servers: LineServer[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close()
  })
  const startServer = async (onLines?: OnLines): Promise<LineServer> => {
    const server = await lineServer(onLines)
    servers.push(server)
    return server
  }
  return {
    startServer,
    connectTo: async (onLines) => (await startServer(onLines)).connect(),
  }
}

function linePeer(socket: Socket, onLines: OnLines | undefined): LinePeer {
  let buffered = ''
  const counters: Array<{ n: number; resolve: () => void }> = []
  const peer: LinePeer = {
    socket,
    seen: [],
    received(n) {
      if (peer.seen.length >= n) return Promise.resolve()
      return new Promise((resolve) => counters.push({ n, resolve }))
    },
    send(...lines) {
      socket.write(lines.map((line) => `${line}\n`).join(''))
    },
  }
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    if (parts.length === 0) return
    peer.seen.push(...parts)
    onLines?.(peer, parts)
    for (let i = counters.length - 1; i >= 0; i--) {
      const counter = counters[i]
      if (counter !== undefined && peer.seen.length >= counter.n) {
        counters.splice(i, 1)
        counter.resolve()
      }
    }
  })
  return peer
}
