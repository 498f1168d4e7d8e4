
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const conn: Connection

const replies: Uint8Array[] = []
const reading = (async () => {
  for await (const chunk of conn.source) replies.push(chunk)
})()
await conn.sink([new TextEncoder().encode('the whole request')]) // then FIN
await reading // the peer answered and ended its side

export {}
