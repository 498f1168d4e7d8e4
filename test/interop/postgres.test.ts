import { type Connection, connect, type Framed, fixed, framed, postgres } from 'it-socket'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PostgresServer, startPostgres } from './servers.js'

// postgres() and postgres({ startup: true }) against a real PostgreSQL server (a cluster made by
// initdb in a temp dir, trust authentication, served on a free port of 127.0.0.1 and a Unix socket),
// speaking the frontend/backend protocol 3.0 by hand. Message layouts from the PostgreSQL
// documentation, "Frontend/Backend Protocol", section "Message Formats".
let server: PostgresServer | undefined
beforeAll(async () => {
  server = await startPostgres()
}, 90_000)
afterAll(() => server?.stop(), 30_000)

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** SSLRequest: Int32(8) length, Int32(80877103) code (1234 << 16 | 5679). */
const SSL_REQUEST = Uint8Array.of(0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f)

/** Bytes of `parts`: strings as C strings (UTF-8, NUL-terminated), numbers as Int32 big-endian. */
function message(type: string | undefined, ...parts: Array<string | number>): Uint8Array {
  const body = parts.map((part) => {
    if (typeof part === 'number') {
      const int = new Uint8Array(4)
      new DataView(int.buffer).setInt32(0, part)
      return int
    }
    return encoder.encode(`${part}\0`)
  })
  const bodyLength = body.reduce((sum, part) => sum + part.length, 0)
  const head = type === undefined ? 0 : 1
  const bytes = new Uint8Array(head + 4 + bodyLength)
  if (type !== undefined) bytes[0] = type.charCodeAt(0)
  // Int32 length counting itself and the body, not the type byte.
  new DataView(bytes.buffer).setInt32(head, 4 + bodyLength)
  let at = head + 4
  for (const part of body) {
    bytes.set(part, at)
    at += part.length
  }
  return bytes
}

/** StartupMessage: length, Int32(196608) protocol 3.0, then name/value C strings and a final NUL. */
function startupMessage(user: string): Uint8Array {
  return message(undefined, 196608, 'user', user, 'database', user, 'application_name', 'it-socket', '')
}

/** A backend message, split: its type, and its body (after the Int32 length). */
interface Backend {
  type: string
  body: Uint8Array
  view: DataView
}

function parse(bytes: Uint8Array): Backend {
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(1)
  expect(length).toBe(bytes.length - 1) // postgres() yields the whole message, type byte included
  const body = bytes.subarray(5)
  return {
    type: String.fromCharCode(bytes[0] as number),
    body,
    view: new DataView(body.buffer, body.byteOffset, body.byteLength),
  }
}

/** The C string at `at` in `body`, and where the next field starts. */
function cString(body: Uint8Array, at: number): [string, number] {
  const end = body.indexOf(0, at)
  expect(end).toBeGreaterThanOrEqual(at)
  return [decoder.decode(body.subarray(at, end)), end + 1]
}

/** Reads backend messages until ReadyForQuery (`Z`), which is included. */
async function untilReady(pg: Framed<Uint8Array>): Promise<Backend[]> {
  const messages: Backend[] = []
  for (;;) {
    const bytes = await pg.read()
    if (bytes === undefined)
      throw new Error(`the server closed the connection after ${messages.length} messages`)
    const parsed = parse(bytes)
    messages.push(parsed)
    if (parsed.type === 'Z') return messages
  }
}

/** Connects, asks for SSL (answered `N`: the cluster has none), starts up; returns the framed stream. */
async function startUp(options: { unix?: boolean } = {}): Promise<{
  conn: Connection
  pg: Framed<Uint8Array>
  startup: Backend[]
}> {
  if (server === undefined) throw new Error('postgres did not start')
  const conn =
    options.unix === true
      ? await connect({ path: server.socketPath })
      : await connect({ host: '127.0.0.1', port: server.port })
  try {
    const start = framed(conn, postgres({ startup: true }))
    await start.write(SSL_REQUEST)
    // The answer is one byte, unframed: S or N.
    const answer = framed(start.unwrap(), fixed(1))
    const sn = await answer.read()
    expect(sn === undefined ? undefined : Array.from(sn)).toEqual([0x4e]) // 'N'
    const untyped = framed(answer.unwrap(), postgres({ startup: true }))
    await untyped.write(startupMessage(server.user))
    const pg = framed(untyped.unwrap(), postgres())
    return { conn, pg, startup: await untilReady(pg) }
  } catch (err) {
    conn.abort(err as Error)
    throw err
  }
}

describe('postgres() against a PostgreSQL server', () => {
  it('SSLRequest → N; StartupMessage → AuthenticationOk, ParameterStatus…, BackendKeyData, ReadyForQuery', async () => {
    const { conn, pg, startup } = await startUp()
    try {
      const [auth, ...rest] = startup
      // AuthenticationOk: R, Int32(8), Int32(0).
      expect(auth?.type).toBe('R')
      expect(auth?.body.length).toBe(4)
      expect(auth?.view.getInt32(0)).toBe(0)
      const parameters = new Map<string, string>()
      for (const { body } of rest.filter(({ type }) => type === 'S')) {
        const [name, at] = cString(body, 0)
        const [value, end] = cString(body, at)
        expect(end).toBe(body.length)
        parameters.set(name, value)
      }
      expect(parameters.get('server_encoding')).toBe('UTF8')
      expect(parameters.get('application_name')).toBe('it-socket')
      expect(parameters.get('server_version')).toMatch(/^\d+/)
      // BackendKeyData: K, Int32(12), Int32 process id, Int32 secret key.
      const key = rest.find(({ type }) => type === 'K')
      expect(key?.body.length).toBe(8)
      expect(key?.view.getInt32(0)).toBeGreaterThan(0)
      // ReadyForQuery: Z, Int32(5), Byte1 'I' (idle).
      const ready = rest.at(-1)
      expect(ready?.type).toBe('Z')
      expect(Array.from(ready?.body ?? [])).toEqual([0x49])
      expect(rest.map(({ type }) => type).every((type) => 'SKZ'.includes(type))).toBe(true)
      await pg.write(message('X'))
      expect(await pg.read()).toBeUndefined()
    } finally {
      await conn.close()
    }
  })

  it("Query 'SELECT 6*7' → RowDescription, DataRow '42', CommandComplete 'SELECT 1', ReadyForQuery", async () => {
    const { conn, pg } = await startUp()
    try {
      await pg.write(message('Q', 'SELECT 6*7'))
      const replies = await untilReady(pg)
      expect(replies.map(({ type }) => type)).toEqual(['T', 'D', 'C', 'Z'])
      const [rowDescription, dataRow, commandComplete, ready] = replies as [
        Backend,
        Backend,
        Backend,
        Backend,
      ]
      // RowDescription: Int16 field count, then per field: name, Int32 table OID, Int16 column,
      // Int32 type OID, Int16 type size, Int32 type modifier, Int16 format code.
      expect(rowDescription.view.getInt16(0)).toBe(1)
      const [name, at] = cString(rowDescription.body, 2)
      expect(name).toBe('?column?')
      expect(rowDescription.view.getInt32(at)).toBe(0)
      expect(rowDescription.view.getInt16(at + 4)).toBe(0)
      expect(rowDescription.view.getInt32(at + 6)).toBe(23) // int4
      expect(rowDescription.view.getInt16(at + 10)).toBe(4)
      expect(rowDescription.view.getInt32(at + 12)).toBe(-1)
      expect(rowDescription.view.getInt16(at + 16)).toBe(0) // text
      expect(rowDescription.body.length).toBe(at + 18)
      // DataRow: Int16 column count, then per column Int32 length and the value (text format).
      expect(dataRow.view.getInt16(0)).toBe(1)
      expect(dataRow.view.getInt32(2)).toBe(2)
      expect(decoder.decode(dataRow.body.subarray(6))).toBe('42')
      // CommandComplete: the command tag as a C string.
      expect(cString(commandComplete.body, 0)).toEqual(['SELECT 1', commandComplete.body.length])
      expect(Array.from(ready.body)).toEqual([0x49])

      // Terminate: X, Int32(4). The server closes the connection: the source ends, without error.
      await pg.write(message('X'))
      expect(await pg.read()).toBeUndefined()
    } finally {
      await conn.close()
    }
  })

  it('a DataRow of 300,000 bytes (read in many chunks) and an ErrorResponse, over the Unix socket', async () => {
    const { conn, pg } = await startUp({ unix: true })
    try {
      await pg.write(message('Q', "SELECT repeat('ab', 150000); SELECT 1/0"))
      const replies = await untilReady(pg)
      // The second statement fails: ErrorResponse, and the query ends there (one ReadyForQuery).
      expect(replies.map(({ type }) => type)).toEqual(['T', 'D', 'C', 'E', 'Z'])
      const dataRow = replies[1] as Backend
      expect(dataRow.view.getInt32(2)).toBe(300_000)
      expect(decoder.decode(dataRow.body.subarray(6))).toBe('ab'.repeat(150_000))
      // ErrorResponse: fields of Byte1 code and C string value, then a NUL. C is the SQLSTATE.
      const error = replies[3] as Backend
      const fields = new Map<string, string>()
      let at = 0
      while (error.body[at] !== 0) {
        const code = String.fromCharCode(error.body[at] as number)
        const [value, next] = cString(error.body, at + 1)
        fields.set(code, value)
        at = next
      }
      expect(at).toBe(error.body.length - 1)
      expect(fields.get('S')).toBe('ERROR')
      expect(fields.get('C')).toBe('22012') // division_by_zero
      expect(fields.get('M')).toBe('division by zero')
      // The connection goes on.
      await pg.write(message('Q', 'SELECT 6*7'))
      const again = await untilReady(pg)
      expect(decoder.decode((again[1] as Backend).body.subarray(6))).toBe('42')
      await pg.write(message('X'))
      expect(await pg.read()).toBeUndefined()
    } finally {
      await conn.close()
    }
  })
})
