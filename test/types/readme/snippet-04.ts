import { connect, framed, json, lines } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const log: { warn: (...args: unknown[]) => void }


await using conn = await connect({ host: '127.0.0.1', port: 9000 })
for await (const event of framed(conn, json(lines())).source) console.log(event) // NDJSON

export {}
