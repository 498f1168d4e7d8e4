import { connect } from 'it-socket'
// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'



await using conn = await connect({ host: 'example.internal', port: 9000, timeout: 5000 })
for await (const chunk of conn.source) process.stdout.write(chunk)

export {}
