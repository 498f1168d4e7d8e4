/**
 * The seed's looping echo client: send each line typed (at most 10), print each reply; `bye` ends.
 * Run: node dist/examples/echo-client.js [PORT=7788]
 */
import { createInterface } from 'node:readline'
import { connect, framed, lines } from 'it-socket'

const port = Number(process.argv[2] ?? 7788)
await using conn = await connect({ host: '127.0.0.1', port })
const messages = framed(conn, lines())
const input = createInterface({ input: process.stdin })
const prompt = (): boolean => process.stdout.isTTY && process.stdout.write('>> ')

prompt()
let sent = 0
for await (const line of input) {
  console.log(await messages.request(line))
  if (line === 'bye' || ++sent === 10) break
  prompt()
}
input.close()
