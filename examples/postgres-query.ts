/**
 * Runs `SELECT 6*7` on a PostgreSQL server and prints `42`, speaking its wire protocol with
 * `postgres()`: SSLRequest (answered by one unframed byte, `N` without TLS), StartupMessage, trust
 * authentication, a simple Query, Terminate.
 * Run: node dist/examples/postgres-query.js [PORT=5432] [USER=postgres] (the user needs no password)
 */
import { connect, fixed, framed, postgres } from 'it-socket'

const port = Number(process.argv[2] ?? 5432)
const user = process.argv[3] ?? 'postgres'
// Messages are whole packets; postgres() writes the Int32 length (left zero here) when it encodes.
const cStrings = (...texts: string[]) => Buffer.from(texts.map((text) => `${text}\0`).join(''))
const typed = (type: string, ...body: Buffer[]) => Buffer.concat([Buffer.from(`${type}\0\0\0\0`), ...body])

await using conn = await connect({ host: '127.0.0.1', port })
const start = framed(conn, postgres({ startup: true }))
await start.write(Buffer.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f)) // SSLRequest
const answer = framed(start.unwrap(), fixed(1))
const sn = await answer.read()
if (sn?.[0] !== 0x4e) throw new Error('the server wants TLS, which this example does not speak')
const startup = framed(answer.unwrap(), postgres({ startup: true }))
// StartupMessage: length, protocol 3.0, then name/value pairs and a final NUL.
await startup.write(
  Buffer.concat([Buffer.of(0, 0, 0, 0, 0, 3, 0, 0), cStrings('user', user, 'database', user, '')]),
)
const pg = framed(startup.unwrap(), postgres())

let queried = false
for await (const message of pg.source) {
  const body = Buffer.from(message.buffer, message.byteOffset + 5, message.length - 5)
  switch (String.fromCharCode(message[0] ?? 0)) {
    case 'R': // Authentication: 0 is AuthenticationOk; anything else asks for a password
      if (body.readInt32BE(0) !== 0) throw new Error('the server asks for a password: use trust')
      break
    case 'E': {
      // ErrorResponse: fields of a code byte and a C string each; M is the message
      const fields = body.toString().split('\0')
      throw new Error(fields.find((field) => field.startsWith('M'))?.slice(1))
    }
    case 'D': // DataRow: Int16 columns, then Int32 length and text of each; one column here
      console.log(body.toString('utf8', 6, 6 + body.readInt32BE(2)))
      break
    case 'Z': // ReadyForQuery: send the query, or once it is answered, Terminate
      await pg.write(queried ? typed('X') : typed('Q', cStrings('SELECT 6*7')))
      queried = true
      break
  }
}
// Terminate made the server close the connection, which ended pg.source.
