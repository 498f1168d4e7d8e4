/**
 * The seed's echo_server1.py: accept one client, print its message, send it back, close.
 * Run: node dist/examples/echo-server-once.js [PORT=4000]
 */
import { formatAddress, framed, lines, listen } from 'it-socket'

const port = Number(process.argv[2] ?? 4000)
await using server = await listen({ host: '127.0.0.1', port })
console.log(`listening on ${formatAddress(server.address)}`)

for await (const conn of server) {
  const messages = framed(conn, lines())
  const message = await messages.read()
  if (message !== undefined) {
    console.log(message)
    await messages.sink([message]) // send it back, then end our side
  }
  await conn.close()
  break // one client, as in the seed
}
