import { listen, pipe } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const conn: Connection


await using server = await listen({ port: 7788 })
await server.serve((conn) => pipe(conn, conn)) // echo every byte back

export {}
