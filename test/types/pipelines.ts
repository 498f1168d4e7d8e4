// Compile-time checks (run by `npm run typecheck`, not by vitest): the pipelines the README and the
// issues promise must type-check, with the codec swapped by one word.
import { type Connection, lengthPrefixed, lines, pipe, until } from 'it-socket'

declare const conn: Connection

async function* print(messages: AsyncIterable<string>): AsyncGenerator<string> {
  yield* messages
}

const line = lines()
const lp = lengthPrefixed()
export const echoLines: Promise<void> = pipe(conn, line.decode, until('bye'), line.encode, conn)
export const echoLp: Promise<void> = pipe(conn, lp.decode, until('bye'), lp.encode, conn)
export const echoRaw: Promise<void> = pipe(conn, conn)
export const printed: Promise<void> = pipe(conn, line.decode, print, until('bye'), line.encode, conn)
export const typed: Promise<void> = pipe(conn, line.decode, until<string>('bye'), print, line.encode, conn)
export const predicate: Promise<void> = pipe(
  conn,
  line.decode,
  until((message: string) => message.startsWith('QUIT')),
  line.encode,
  conn,
)
