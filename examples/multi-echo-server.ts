/**
 * The seed's server3.py, a multi-client echo server, without a thread per connection: one event
 * loop serves them all, at most 1,000 at once (the rest wait, unread, for a slot), each echoed until
 * it says `bye`. Run: node dist/examples/multi-echo-server.js [PORT=7788]
 * (`npm start` runs the command-line equivalent instead, `it-socket listen 7788 --echo --framing
 * lines --until bye`: the same session, from the it-socket command.)
 */
import { formatAddress, lines, listen, pipe, until } from 'it-socket'

const port = Number(process.argv[2] ?? 7788)
const server = await listen({ host: '127.0.0.1', port, maxConnections: 1_000, idleTimeout: 300_000 })
console.log(`echo server listening on ${formatAddress(server.address)} (Ctrl-C stops it)`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void server.close())

await server.serve(async (conn) => {
  const peer = formatAddress(conn.remoteAddress)
  const line = lines()
  async function* log(messages: AsyncIterable<string>): AsyncGenerator<string> {
    for await (const message of messages) {
      console.log(`RECEIVED: ${message} << ${peer}`)
      yield message
    }
  }
  await pipe(conn, line.decode, log, until('bye'), line.encode, conn)
})
console.log('server closed')
