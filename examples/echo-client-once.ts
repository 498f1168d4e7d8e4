/**
 * The seed's echo_client1.py: send one line typed at the prompt, print the echo.
 * Run: node dist/examples/echo-client-once.js [PORT=4000]
 */
import { createInterface } from 'node:readline/promises'
import { connect, framed, lines } from 'it-socket'

const port = Number(process.argv[2] ?? 4000)
await using conn = await connect({ host: '127.0.0.1', port })
const prompt = createInterface({ input: process.stdin, output: process.stdout })
const line = await prompt.question('> ')
prompt.close()
const reply = await framed(conn, lines()).request(line)
console.log(`= ${reply}`)
