import { pipe, listen } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const conn: Connection
declare const log: { warn: (...args: unknown[]) => void }

await using server = await listen({ port: 7788 })
setInterval(() => console.log(server.stats), 10_000).unref() // accepted, active, refusedBusy, bytes, errors by code
await server.serve(async (conn) => {
  await pipe(conn, conn)
  console.log(conn.remoteAddress, conn.stats.bytesRead, conn.stats.durationMs)
})

export {}
