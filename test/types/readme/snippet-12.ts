import { pipe, udp } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'



await using sock = await udp.bind({ host: '127.0.0.1', port: 7788 })
await pipe(sock.source, sock.sink) // each datagram goes back to its sender

export {}
