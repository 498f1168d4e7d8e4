/**
 * The stack under test, server side: it-socket's public API, used as its README shows. Its clients
 * (ping-pong, and the "both ends it-socket" rows) are in `it-socket-client.ts`.
 *
 * @module
 */

import { subscribe } from 'node:diagnostics_channel'
import {
  CHANNELS,
  type Connection,
  lengthField,
  lengthPrefixed,
  lines,
  listen,
  pipe,
  type Server,
} from 'it-socket'
import { BACKLOG } from './raw-net.js'
import { tlsFiles } from './tls-fixtures.js'

/**
 * Starts the it-socket server for `mode`; resolves once listening. With `tls`, it serves TLS with
 * the test certificate (`listen({ tls: { cert, key } })`): the same handlers, given each connection
 * once its handshake is done. With `proxy`, it reads a PROXY header first on every connection
 * (`listen({ proxyProtocol: true })`, which trusts loopback): the same handlers, given each
 * connection once its header is read. In `u32` mode it echoes 4-byte big-endian prefixed frames with
 * `lengthPrefixed({ lengthEncoding: 'uint32be' })`, or with `lengthField({ length: 4, strip: 4 })`
 * (`lengthField: 'strip'`) or `lengthField({ length: 4 })`, whose frames keep their header
 * (`lengthField: 'keep'`). With `observed`, every diagnostics channel has a subscriber first.
 */
export async function itSocketServer(
  mode: 'bytes' | 'lp' | 'u32' | 'lines' | 'paused',
  tls = false,
  {
    proxy = false,
    lengthField: field,
    observed = false,
  }: { proxy?: boolean; lengthField?: 'strip' | 'keep'; observed?: boolean } = {},
): Promise<Server> {
  if (observed) observe()
  const server = await listen({
    host: '127.0.0.1',
    port: 0,
    backlog: BACKLOG,
    onError: () => {},
    ...(tls ? { tls: { cert: tlsFiles().cert, key: tlsFiles().key } } : {}),
    ...(proxy ? { proxyProtocol: true } : {}),
  })
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
  } else if (mode === 'u32') {
    const u32 =
      field === undefined
        ? lengthPrefixed({ lengthEncoding: 'uint32be' })
        : lengthField({ length: 4, strip: field === 'strip' ? 4 : 0 })
    void server.serve((conn) => pipe(conn, u32.decode, u32.encode, conn))
  } else {
    const l = lines()
    void server.serve((conn) => pipe(conn, l.decode, l.encode, conn))
  }
  return server
}

/** What the `observed` subscribers saw: read, so that no field goes unused. */
export const observedTotals = { events: 0, bytes: 0, errors: 0 }

/**
 * Subscribes to each of it-socket's channels as an APM agent would: a function per channel that
 * reads the message's fields (the close message's bytes and duration, an error's code).
 */
function observe(): void {
  for (const name of Object.values(CHANNELS)) {
    subscribe(name, (message) => {
      observedTotals.events++
      const m = message as { bytesRead?: number; bytesWritten?: number; error?: Error }
      if (m.bytesRead !== undefined) observedTotals.bytes += m.bytesRead + (m.bytesWritten ?? 0)
      if (m.error !== undefined) observedTotals.errors++
    })
  }
}
