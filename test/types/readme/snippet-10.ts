import { listen, connect } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'


await using server = await listen({ path: '/run/my-app.sock' }) // a stale socket file is replaced
await using conn = await connect({ path: '/run/my-app.sock' })
await using v6 = await connect({ host: '::1', port: 7788 })

export {}
