import { framed, lines } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const conn: Connection
declare const log: { warn: (...args: unknown[]) => void }

const messages = framed(conn, lines())
for (const question of ['hello', 'how are you', 'bye']) {
  console.log(await messages.request(question)) // write one, read one
}

export {}
