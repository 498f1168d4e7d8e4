import { listen } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const handler: (conn: Connection) => Promise<void>

const controller = new AbortController()
process.once('SIGTERM', () => controller.abort())
await using server = await listen({ port: 7788, signal: controller.signal })
await server.serve(handler) // resolves once the server has closed and every handler settled

export {}
