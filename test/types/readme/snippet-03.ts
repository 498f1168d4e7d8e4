import { lengthPrefixed, lines, listen, pipe, until } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const conn: Connection


const codec = lengthPrefixed() // or lines(): nothing else changes
await using server = await listen({ port: 7788 })
await server.serve((conn) => pipe(conn, codec.decode, until('bye'), codec.encode, conn))

export {}
