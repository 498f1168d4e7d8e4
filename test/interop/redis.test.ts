import { type Connection, connect, type Framed, framed, type RespValue, resp, respCommand } from 'it-socket'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, startRedis } from './servers.js'

// resp() against a real Redis (redis-server started by this file on a free port of 127.0.0.1, with
// no config file and no persistence): framed(conn, resp()).request() sends commands and pairs each
// reply with its command, pipelined.
let server: RunningServer | undefined
beforeAll(async () => {
  server = await startRedis()
}, 90_000)
afterAll(() => server?.stop(), 30_000)

/** Sends one command and resolves with its reply, bulk strings as plain `Uint8Array`s. */
async function ask(r: Framed<RespValue>, command: RespValue): Promise<RespValue> {
  return plain(await r.request(command))
}

/** A new connection to the server, framed with resp(); close it with `conn.close()`. */
async function redis(): Promise<{ conn: Connection; r: Framed<RespValue> }> {
  if (server === undefined) throw new Error('redis-server did not start')
  const conn = await connect({ host: '127.0.0.1', port: server.port })
  return { conn, r: framed(conn, resp()) }
}

const bulk = (text: string): RespValue => ({ type: 'bulk', value: new TextEncoder().encode(text) })

/**
 * `value` with every bulk string as a plain `Uint8Array` (decoded ones are `subarray`s of the
 * `Buffer`s the socket read, which `toEqual` tells from `Uint8Array`s).
 */
function plain(value: RespValue): RespValue {
  switch (value.type) {
    case 'bulk':
      return { type: 'bulk', value: Uint8Array.from(value.value) }
    case 'array':
    case 'set':
    case 'push':
      return { type: value.type, value: value.value.map(plain) }
    case 'map':
      return { type: 'map', value: value.value.map(([key, entry]) => [plain(key), plain(entry)] as const) }
    default:
      return value
  }
}

describe(`resp() against redis-server`, () => {
  it('PING → the simple string PONG; ECHO → the bulk string back', async () => {
    const { conn, r } = await redis()
    try {
      expect(await ask(r, respCommand('PING'))).toEqual({ type: 'simple', value: 'PONG' })
      expect(await ask(r, respCommand('ECHO', 'hello'))).toEqual(bulk('hello'))
    } finally {
      await conn.close()
    }
  })

  it('SET then GET of a value with CR, LF, NUL and every other byte value: byte-exact', async () => {
    const { conn, r } = await redis()
    try {
      const value = new Uint8Array(2 * 256 + 4)
      value.set([0x0d, 0x0a, 0x00, 0x0d])
      for (let i = 0; i < 512; i++) value[4 + i] = i % 256
      expect(await ask(r, respCommand('SET', 'binary\r\nkey\0', value))).toEqual({
        type: 'simple',
        value: 'OK',
      })
      const reply = await ask(r, respCommand('GET', 'binary\r\nkey\0'))
      expect(reply.type).toBe('bulk')
      if (reply.type === 'bulk') expect(Buffer.from(reply.value).equals(Buffer.from(value))).toBe(true)
      expect(await ask(r, respCommand('STRLEN', 'binary\r\nkey\0'))).toEqual({
        type: 'integer',
        value: value.length,
      })
      // A key never set: RESP2's null bulk string.
      expect(await ask(r, respCommand('GET', 'never set'))).toEqual({ type: 'null' })
    } finally {
      await conn.close()
    }
  })

  it('1,000 pipelined INCRs and 2,000 pipelined SET k_i / GET k_i: every reply in order', async () => {
    const { conn, r } = await redis()
    try {
      const incrs = await Promise.all(
        Array.from({ length: 1000 }, () => ask(r, respCommand('INCR', 'counter'))),
      )
      expect(incrs).toEqual(Array.from({ length: 1000 }, (_, i) => ({ type: 'integer', value: i + 1 })))

      const replies = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => [
          ask(r, respCommand('SET', `k_${i}`, `value ${i} ${'x'.repeat(i % 50)}`)),
          ask(r, respCommand('GET', `k_${i}`)),
        ]).flat(),
      )
      for (let i = 0; i < 1000; i++) {
        expect(replies[2 * i]).toEqual({ type: 'simple', value: 'OK' })
        expect(replies[2 * i + 1]).toEqual(bulk(`value ${i} ${'x'.repeat(i % 50)}`))
      }
      // A multi-bulk reply of 1,000 elements, as Redis sends it in one burst.
      const values = await ask(r, respCommand('MGET', ...Array.from({ length: 1000 }, (_, i) => `k_${i}`)))
      expect(values).toEqual({
        type: 'array',
        value: Array.from({ length: 1000 }, (_, i) => bulk(`value ${i} ${'x'.repeat(i % 50)}`)),
      })
    } finally {
      await conn.close()
    }
  })

  it('error replies are values, not throws, and the connection goes on', async () => {
    const { conn, r } = await redis()
    try {
      expect(await ask(r, respCommand('SET', 'text', 'not a number'))).toEqual({
        type: 'simple',
        value: 'OK',
      })
      const [notInteger, wrongType, unknown, after] = await Promise.all([
        ask(r, respCommand('INCR', 'text')),
        ask(r, respCommand('LPUSH', 'text', 'x')),
        ask(r, respCommand('NO-SUCH-COMMAND', 'arg')),
        ask(r, respCommand('PING')),
      ])
      expect(notInteger).toEqual({ type: 'error', message: 'ERR value is not an integer or out of range' })
      expect(wrongType).toEqual({
        type: 'error',
        message: 'WRONGTYPE Operation against a key holding the wrong kind of value',
      })
      expect(unknown).toMatchObject({ type: 'error', message: expect.stringMatching(/^ERR unknown command/) })
      expect(after).toEqual({ type: 'simple', value: 'PONG' })
      expect(await ask(r, respCommand('GET', 'text'))).toEqual(bulk('not a number'))
    } finally {
      await conn.close()
    }
  })

  it('HELLO 3 switches to RESP3: a map reply, then doubles, nulls, sets and maps', async () => {
    const { conn, r } = await redis()
    try {
      const hello = await ask(r, respCommand('HELLO', '3'))
      expect(hello.type).toBe('map')
      if (hello.type !== 'map') return
      const entries = new Map(
        hello.value.map(([key, value]) => [
          key.type === 'bulk' ? Buffer.from(key.value).toString() : '?',
          value,
        ]),
      )
      expect(entries.get('server')).toEqual(bulk('redis'))
      expect(entries.get('proto')).toEqual({ type: 'integer', value: 3 })
      expect(entries.get('version')).toMatchObject({ type: 'bulk' })

      const [added, score, missing, setAdded, members, hashSet, fields] = await Promise.all([
        ask(r, respCommand('ZADD', 'z3', '1.5', 'm')),
        ask(r, respCommand('ZSCORE', 'z3', 'm')),
        ask(r, respCommand('GET', 'never set in resp3')),
        ask(r, respCommand('SADD', 's3', 'a')),
        ask(r, respCommand('SMEMBERS', 's3')),
        ask(r, respCommand('HSET', 'h3', 'f', 'v')),
        ask(r, respCommand('HGETALL', 'h3')),
      ])
      expect(added).toEqual({ type: 'integer', value: 1 })
      expect(score).toEqual({ type: 'double', value: 1.5 })
      expect(missing).toEqual({ type: 'null' })
      expect(setAdded).toEqual({ type: 'integer', value: 1 })
      expect(members).toEqual({ type: 'set', value: [bulk('a')] })
      expect(hashSet).toEqual({ type: 'integer', value: 1 })
      expect(fields).toEqual({ type: 'map', value: [[bulk('f'), bulk('v')]] })
    } finally {
      await conn.close()
    }
  })
})
