import { lines, listen, pipe, until } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const conn: Connection


await using server = await listen({ host: '127.0.0.1', port: 7788, maxConnections: 1000 })
await server.serve((conn) => {
  const line = lines()
  return pipe(conn, line.decode, until('bye'), line.encode, conn)
})

export {}
