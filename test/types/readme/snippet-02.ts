import { connect, framed, lines } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const log: { warn: (...args: unknown[]) => void }


await using conn = await connect({ host: '127.0.0.1', port: 4000 })
console.log(await framed(conn, lines()).request('hello')) // closed at the end of the block

export {}
