import { framed, lengthPrefixed, lines } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const conn: Connection

const hello = framed(conn, lines())
await hello.write('HELLO v2')
if ((await hello.read()) !== 'OK') throw new Error('refused')
const frames = framed(hello.unwrap(), lengthPrefixed())

export {}
