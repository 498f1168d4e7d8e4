// Compile-time checks (run by `npm run typecheck`, not by vitest): the types the README's snippets
// rely on, asserted with expectTypeOf, and the internals that must stay off the public types. A
// wrong type or an internal that becomes reachable fails `npm test` at its typecheck step.
import {
  type Connection,
  connect,
  type Framed,
  framed,
  json,
  lengthPrefixed,
  lines,
  listen,
  type NetAddress,
  pipe,
  type Server,
  type UnixAddress,
  until,
} from 'it-socket'
import { expectTypeOf } from 'vitest'

declare const conn: Connection

// listen(): the address type follows the options, so `server.address.port` needs no narrowing.
export async function addresses(): Promise<void> {
  const tcp = await listen({ port: 0 })
  expectTypeOf(tcp).toEqualTypeOf<Server<NetAddress>>()
  expectTypeOf(tcp.address.port).toEqualTypeOf<number>()
  const bare = await listen()
  expectTypeOf(bare.address).toEqualTypeOf<NetAddress>()
  const unix = await listen({ path: '/tmp/it-socket.sock' })
  expectTypeOf(unix.address).toEqualTypeOf<UnixAddress>()
  expectTypeOf(unix.address.path).toEqualTypeOf<string>()
  expectTypeOf(await connect({ port: tcp.address.port })).toEqualTypeOf<Connection>()
}

// pipe(): each step's message type is inferred from where it stands, until() included.
const line = lines()
const lp = lengthPrefixed()
expectTypeOf(pipe(conn, line.decode, until('END'))).toEqualTypeOf<AsyncGenerator<string>>()
expectTypeOf(pipe(conn, lp.decode, until('END'))).toEqualTypeOf<AsyncGenerator<Uint8Array>>()
expectTypeOf(pipe(conn, until('END'))).toEqualTypeOf<AsyncGenerator<Uint8Array>>()
expectTypeOf(pipe(conn, line.decode, until('bye'), line.encode, conn)).toEqualTypeOf<Promise<void>>()
expectTypeOf(pipe(conn, lp.decode, until('bye'), lp.encode, conn)).toEqualTypeOf<Promise<void>>()
expectTypeOf(pipe(conn, conn)).toEqualTypeOf<Promise<void>>()
expectTypeOf(pipe(['a', 'b'], line.encode, conn)).toEqualTypeOf<Promise<void>>()
expectTypeOf(
  pipe(conn, line.decode, async (messages) => {
    expectTypeOf(messages).toEqualTypeOf<AsyncGenerator<string>>()
    let n = 0
    for await (const _ of messages) n++
    return n
  }),
).toEqualTypeOf<Promise<number>>()
// @ts-expect-error strings into a byte sink: the encode step is missing
pipe(conn, line.decode, conn)

// framed(): messages typed by the codec.
expectTypeOf(framed(conn, lines())).toEqualTypeOf<Framed<string>>()
expectTypeOf(framed(conn, lines()).request('hello')).toEqualTypeOf<Promise<string>>()
expectTypeOf(framed(conn, lengthPrefixed()).read()).toEqualTypeOf<Promise<Uint8Array | undefined>>()
expectTypeOf(framed(conn, json(lines())).source).toEqualTypeOf<AsyncGenerator<unknown>>()

// Internals are not part of the public types.
export function internals(server: Server, c: Connection): void {
  // @ts-expect-error listen() attaches the listener
  server.attach
  // @ts-expect-error called by the listener
  server.onConnection
  // @ts-expect-error called by each connection
  server.onConnectionClose
  // @ts-expect-error reports to onError
  server.report
  // @ts-expect-error the source's batches
  c.batches
  // @ts-expect-error serve()'s close
  c.release
}
