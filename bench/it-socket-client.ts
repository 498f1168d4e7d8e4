/**
 * The it-socket clients: the load written with it-socket's public API the way the README writes
 * it, for the "both ends it-socket" rows. Each does what the raw client in `load.ts` does for the
 * same workload (same payloads, same echo checks, same warm-up share) so that the two rows differ
 * only in the client's code; none bounds what is in flight by hand: the pipe's backpressure does.
 *
 * @module
 */

import { performance } from 'node:perf_hooks'
import {
  type Codec,
  type Connection,
  type ConnectOptions,
  connect,
  framed,
  lengthField,
  lengthPrefixed,
  lines,
  pipe,
} from 'it-socket'
import { BulkChecker, bulkBuffer, frameBytes, framesPerBatch, payloadByte } from './frames.js'
import { handshakeLoop } from './load.js'
import type { ClientResult, ClientSpec } from './protocol.js'
import { tlsFiles } from './tls-fixtures.js'

type Spec<K extends ClientSpec['kind']> = Extract<ClientSpec, { kind: K }>

/** Share of a pipelined run that warms up (JIT, buffers) before the clock starts, as in `load.ts`. */
const WARMUP = 0.1

const MiB = 1024 * 1024
const HOST = '127.0.0.1'

/**
 * Where the client connects: the server's port on 127.0.0.1, over TLS trusting the test CA when the
 * workload is TLS (`tls: { ca }`, as a user's client passes it).
 */
function target(spec: { port: number; tls?: boolean }): ConnectOptions {
  return spec.tls === true
    ? { host: HOST, port: spec.port, tls: { ca: tlsFiles().ca } }
    : { host: HOST, port: spec.port }
}

function fail(what: string, index: number): never {
  throw new Error(`Echo check failed at message ${index}: ${what}`)
}

/** A: `pipe(chunks, conn)` writes, `for await (const chunk of conn.source)` reads the echo. */
export async function itSocketBulk(spec: Spec<'bulk'>): Promise<ClientResult> {
  const { totalBytes, writeSize } = spec
  const buffer = bulkBuffer(writeSize)
  const checker = new BulkChecker()
  const warm = Math.floor(totalBytes * WARMUP)
  let tWarm = 0
  let warmBytes = 0
  let tEnd = 0
  await using conn = await connect(target(spec))
  const reading = (async () => {
    for await (const chunk of conn.source) {
      checker.push(chunk)
      if (tWarm === 0 && checker.bytes >= warm) {
        tWarm = performance.now()
        warmBytes = checker.bytes
      }
      if (checker.bytes >= totalBytes) tEnd = performance.now()
    }
  })().catch((err: unknown) => {
    conn.abort(err instanceof Error ? err : undefined) // stops the writing side too
    throw err
  })
  const chunks = function* (): Generator<Uint8Array> {
    for (let sent = 0; sent < totalBytes; sent += writeSize) {
      yield sent + writeSize <= totalBytes ? buffer : buffer.subarray(0, totalBytes - sent)
    }
  }
  await Promise.all([reading, pipe(chunks, conn)])
  if (checker.bytes !== totalBytes) throw new Error(`echoed ${checker.bytes} of ${totalBytes} bytes`)
  const seconds = (tEnd - tWarm) / 1000
  return {
    values: { mibps: (totalBytes - warmBytes) / MiB / seconds },
    details: { bytes: totalBytes, seconds },
  }
}

/**
 * The checks of `frames.ts`'s checkers, on decoded messages: every message has `size` bytes (or
 * characters); the first batch is compared whole, later messages at their first and last byte.
 */
interface MessageCheck<T> {
  messages: T[]
  check: (message: T, index: number) => void
}

function lpMessages(size: number, batch: number): MessageCheck<Uint8Array> {
  const messages = Array.from({ length: batch }, (_, k) => {
    const payload = new Uint8Array(size)
    for (let j = 0; j < size; j++) payload[j] = payloadByte(k, j)
    return payload
  })
  return {
    messages,
    check: (m, i) => {
      const k = i % batch
      if (m.length !== size) fail(`length ${m.length}, expected ${size}`, i)
      if (i < batch) {
        const expected = messages[k] as Uint8Array
        for (let j = 0; j < size; j++) if (m[j] !== expected[j]) fail('wrong payload byte', i)
      } else if (size > 0 && (m[0] !== payloadByte(k, 0) || m[size - 1] !== payloadByte(k, size - 1))) {
        fail('wrong first or last byte', i)
      }
    },
  }
}

function lineMessages(size: number, batch: number): MessageCheck<string> {
  const messages = Array.from({ length: batch }, (_, k) =>
    String.fromCharCode(...Array.from({ length: size }, (_, j) => payloadByte(k, j))),
  )
  return {
    messages,
    check: (m, i) => {
      const k = i % batch
      if (m.length !== size) fail(`line of ${m.length} characters, expected ${size}`, i)
      if (i < batch) {
        if (m !== messages[k]) fail('wrong line', i)
      } else if (
        size > 0 &&
        (m.charCodeAt(0) !== payloadByte(k, 0) || m.charCodeAt(size - 1) !== payloadByte(k, size - 1))
      ) {
        fail('wrong first or last character', i)
      }
    },
  }
}

/**
 * B, B': the pipelined client of issue 12. Reads with `for await (const m of codec.decode(conn.source))`,
 * writes with `pipe(function* () { ... yield payload }, codec.encode, conn)`, both at once.
 */
export async function itSocketFrames(spec: Spec<'frames'>): Promise<ClientResult> {
  const { size, count } = spec
  // The same batch of distinct payloads as the raw client's (about 64 KiB of frames), sent over and over.
  // `u32` frames with lengthField(), the codec B-LF is about (the same bytes as lengthPrefixed uint32be).
  const batch = framesPerBatch(frameBytes(spec.codec, size))
  const [seconds, measured] =
    spec.codec === 'lp'
      ? await pipelined(spec, lengthPrefixed(), lpMessages(size, batch))
      : spec.codec === 'u32'
        ? await pipelined(spec, lengthField({ length: 4, strip: 4 }), lpMessages(size, batch))
        : await pipelined(spec, lines(), lineMessages(size, batch))
  return {
    values: { msgps: measured / seconds, mibps: (measured * size) / MiB / seconds },
    details: { frames: count, seconds },
  }
}

/**
 * Sends `spec.count` messages and reads their echo, checking each; resolves with the seconds from
 * the end of the warm-up to the last echo, and the messages echoed in them.
 */
async function pipelined<T>(
  spec: Spec<'frames'>,
  codec: Codec<T>,
  { messages, check }: MessageCheck<T>,
): Promise<[seconds: number, measured: number]> {
  const { count } = spec
  const warm = Math.max(1, Math.floor(count * WARMUP))
  let tWarm = 0
  let tEnd = 0
  await using conn = await connect(target(spec))
  const reading = (async () => {
    let n = 0
    for await (const m of codec.decode(conn.source)) {
      check(m, n)
      n++
      if (n === warm) tWarm = performance.now()
      if (n === count) tEnd = performance.now()
    }
    return n
  })().catch((err: unknown) => {
    conn.abort(err instanceof Error ? err : undefined) // stops the writing side too
    throw err
  })
  const batch = messages.length
  const [echoed] = await Promise.all([
    reading,
    pipe(
      function* () {
        for (let i = 0; i < count; i++) yield messages[i % batch] as T
      },
      codec.encode,
      conn,
    ),
  ])
  if (echoed !== count) throw new Error(`echoed ${echoed} of ${count} messages`)
  return [(tEnd - tWarm) / 1000, count - warm]
}

/** C: `framed(conn, lengthPrefixed()).request(payload)` in a loop. Resolves with each round trip's time in nanoseconds. */
export async function itSocketPingPong(
  port: number,
  payload: Uint8Array,
  count: number,
): Promise<Float64Array> {
  await using conn = await connect({ host: HOST, port })
  const f = framed(conn, lengthPrefixed())
  const times = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint()
    const reply = await f.request(payload)
    times[i] = Number(process.hrtime.bigint() - t0)
    if (reply.length !== payload.length || reply[0] !== payload[0])
      throw new Error('ping-pong echo check failed')
  }
  await f.sink([])
  return times
}

/**
 * D: `connections` connections opened with `connect()`, `batch` at a time (as the raw client opens
 * them), then on each at once `roundTrips` sequential `framed(conn, lp).request(payload)`, a
 * half-close (`sink([])`) and a `read()` that sees the server's FIN.
 */
export async function itSocketMany(spec: Spec<'many'>): Promise<ClientResult> {
  const payload = new Uint8Array(spec.size)
  for (let j = 0; j < spec.size; j++) payload[j] = payloadByte(0, j)
  const lp = lengthPrefixed()
  const t0 = performance.now()
  const conns: Connection[] = []
  while (conns.length < spec.connections) {
    const n = Math.min(spec.batch, spec.connections - conns.length)
    conns.push(
      ...(await Promise.all(Array.from({ length: n }, () => connect({ host: HOST, port: spec.port })))),
    )
  }
  const tConnected = performance.now()
  await Promise.all(
    conns.map(async (conn) => {
      try {
        const f = framed(conn, lp)
        for (let i = 0; i < spec.roundTrips; i++) {
          const reply = await f.request(payload)
          if (
            reply.length !== spec.size ||
            reply[0] !== payloadByte(0, 0) ||
            reply[spec.size - 1] !== payloadByte(0, spec.size - 1)
          ) {
            throw new Error('round-trip echo check failed')
          }
        }
        await f.sink([])
        if ((await f.read()) !== undefined) throw new Error('a message after the last reply')
      } finally {
        await conn.close()
      }
    }),
  )
  const tEnd = performance.now()
  return {
    values: { ms: tEnd - t0 },
    details: { connectMs: tConnected - t0, roundTripMs: tEnd - tConnected },
  }
}

/**
 * TLS-H: for each of `connections` connections, `concurrency` at a time, `connect({ tls: { ca } })`
 * (resolved after the handshake), one `framed(conn, lp).request(payload)`, a half-close
 * (`sink([])`), a `read()` that sees the server's FIN, and `close()`.
 */
export async function itSocketHandshakes(spec: Spec<'handshakes'>): Promise<ClientResult> {
  const payload = new Uint8Array(spec.size)
  for (let j = 0; j < spec.size; j++) payload[j] = payloadByte(0, j)
  const lp = lengthPrefixed()
  const options = target({ port: spec.port, tls: true })
  return handshakeLoop(spec, async () => {
    await using conn = await connect(options)
    const f = framed(conn, lp)
    const reply = await f.request(payload)
    if (
      reply.length !== spec.size ||
      reply[0] !== payloadByte(0, 0) ||
      reply[spec.size - 1] !== payloadByte(0, spec.size - 1)
    ) {
      throw new Error('handshake round-trip echo check failed')
    }
    await f.sink([])
    if ((await f.read()) !== undefined) throw new Error('a message after the reply')
  })
}
