import { readFileSync } from 'node:fs'
import { connect, listen, pipe } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const log: { warn: (...args: unknown[]) => void }


await using server = await listen({
  port: 8443,
  tls: { cert: readFileSync('cert.pem'), key: readFileSync('key.pem') }, // handed out after the handshake
})
void server.serve((conn) => pipe(conn, conn))

await using conn = await connect({ host: 'localhost', port: 8443, tls: { ca: readFileSync('ca.pem') } })
console.log(conn.tls?.protocol, conn.tls?.alpnProtocol) // 'TLSv1.3' false

export {}
