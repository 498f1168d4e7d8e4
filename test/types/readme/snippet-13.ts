import { ServerBusyError, TimeoutError, listen } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const conn: Connection
declare const log: { warn: (...args: unknown[]) => void }

await using server = await listen({
  port: 7788,
  maxConnections: 256, // handed out at once; the rest wait unread
  maxPending: 4096, // waiting at most; past it a connection is closed and reported (ServerBusyError)
  idleTimeout: 60_000, // no traffic either way for a minute: TimeoutError, connection closed
  onError: (err, conn) => log.warn(err, conn?.remoteAddress),
})

export {}
