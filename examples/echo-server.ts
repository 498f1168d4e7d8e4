/**
 * The seed's looping echo server: one client, every line echoed and printed, until it says `bye`.
 * Run: node dist/examples/echo-server.js [PORT=7788]
 */
import { formatAddress, lines, listen, pipe, until } from 'it-socket'

const port = Number(process.argv[2] ?? 7788)
await using server = await listen({ host: '127.0.0.1', port })
console.log(`listening on ${formatAddress(server.address)}`)

async function* print(messages: AsyncIterable<string>): AsyncGenerator<string> {
  for await (const message of messages) {
    console.log(message)
    yield message
  }
}

for await (const conn of server) {
  const line = lines()
  await pipe(conn, line.decode, print, until('bye'), line.encode, conn)
  break // one client, as in the seed
}
