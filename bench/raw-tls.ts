/**
 * The TLS baseline: the raw `node:net` server of `raw-net.ts` on `node:tls`. `tls.createServer()`
 * with the test certificate, and on each `'secureConnection'` the same code as the plain server:
 * `socket.pipe(socket)` for bytes, the hand-written varint loop for length-prefixed frames. What a
 * careful hand-written TLS server does, with no abstraction in the way.
 *
 * @module
 */

import { createServer, type Server, type TLSSocket } from 'node:tls'
import { BACKLOG, lpEcho } from './raw-net.js'
import { tlsFiles } from './tls-fixtures.js'

/** Starts the raw `node:tls` server for `mode`; resolves once listening. */
export function rawTlsServer(mode: 'bytes' | 'lp'): Promise<Server> {
  const { cert, key } = tlsFiles()
  // allowHalfOpen and noDelay reach the accepted TCP socket (net.Server's options), and the TLS
  // socket takes allowHalfOpen from it: the half-close contract of the plain server.
  const server = createServer({ cert, key, allowHalfOpen: true, noDelay: true })
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('error', () => socket.destroy())
    if (mode === 'bytes') socket.pipe(socket)
    else lpEcho(socket)
  })
  // A failed handshake (a client that went away): Node.js has closed the socket; nothing to serve.
  server.on('tlsClientError', () => {})
  return new Promise((resolve) =>
    server.listen({ host: '127.0.0.1', port: 0, backlog: BACKLOG }, () => resolve(server)),
  )
}
