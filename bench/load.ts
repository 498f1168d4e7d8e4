/**
 * The load generators: one efficient raw `node:net` client per workload, the same for every stack,
 * so that only the server differs (over TLS, the same code on `node:tls` sockets). Each verifies what
 * is echoed (count, length and content) and resolves with the measured values.
 *
 * @module
 */

import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { connect as tlsConnect } from 'node:tls'
import { BulkChecker, buildBatch, bulkBuffer, frameChecker, payloadByte, writeVarint } from './frames.js'
import type { ClientEvent, ClientResult, ClientSpec } from './protocol.js'
import { VarintReader } from './raw-net.js'
import { clientContext } from './tls-client-context.js'

type Spec<K extends ClientSpec['kind']> = Extract<ClientSpec, { kind: K }>

/** Share of a pipelined run that warms up (JIT, buffers) before the clock starts. */
const WARMUP = 0.1

const MiB = 1024 * 1024

/** The PROXY v2 signature: the first 12 bytes of every v2 header. */
const PROXY_V2_SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]
/** The source port the PROXY header names (the server does not check it). */
const PROXY_SOURCE_PORT = 40_000

/**
 * The PROXY v2 header a load balancer relaying a client on 127.0.0.1 to `port` sends first (28 bytes:
 * signature, version 2 / PROXY, TCP over IPv4, 12 bytes of addresses, source 127.0.0.1:40000,
 * destination 127.0.0.1:`port`, no TLVs). Written by hand, the same bytes as
 * `encodeProxyHeader({ version: 2, source, destination })`: the client's cost is one more write per
 * connection, the same buffer each time.
 */
export function proxyV2Header(port: number): Buffer {
  const header = Buffer.alloc(28)
  header.set(PROXY_V2_SIGNATURE, 0)
  header[12] = 0x21 // version 2, command PROXY
  header[13] = 0x11 // AF_INET, SOCK_STREAM
  header.writeUInt16BE(12, 14) // address block length
  header.set([127, 0, 0, 1], 16) // source address
  header.set([127, 0, 0, 1], 20) // destination address
  header.writeUInt16BE(PROXY_SOURCE_PORT, 24)
  header.writeUInt16BE(port, 26)
  return header
}

/** The header for each port, built once: every connection writes the same buffer. */
const proxyHeaders = new Map<number, Buffer>()

function proxyHeaderFor(port: number): Buffer {
  let header = proxyHeaders.get(port)
  if (header === undefined) {
    header = proxyV2Header(port)
    proxyHeaders.set(port, header)
  }
  return header
}

/**
 * Connects with `noDelay`; resolves once connected. With `tls`, a `node:tls` socket sharing one
 * context that trusts the test CA, resolved once its handshake is done and the server verified. With
 * `proxyHeader` (plain TCP only), writes a PROXY v2 header (`proxyV2Header`) on connect, before
 * resolving: the connection's first bytes, as a load balancer sends them.
 */
export function open(port: number, tls = false, proxyHeader = false): Promise<Socket> {
  if (tls && proxyHeader) throw new Error('the raw client sends a PROXY header over plain TCP only')
  return new Promise((resolve, reject) => {
    const socket = tls
      ? tlsConnect({ host: '127.0.0.1', port, secureContext: clientContext() })
      : connect({ host: '127.0.0.1', port, noDelay: true })
    // Node.js 20's tls.connect() does not pass `noDelay` on to its TCP socket: set it here.
    if (tls) socket.setNoDelay(true)
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject)
      if (proxyHeader) socket.write(proxyHeaderFor(port))
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/**
 * Opens `n` connections, `batch` at a time (each batch connected before the next starts: no SYN
 * floods), each sending a PROXY header first with `proxyHeader`.
 */
async function openMany(port: number, n: number, batch: number, proxyHeader = false): Promise<Socket[]> {
  const sockets: Socket[] = []
  while (sockets.length < n) {
    const size = Math.min(batch, n - sockets.length)
    sockets.push(...(await Promise.all(Array.from({ length: size }, () => open(port, false, proxyHeader)))))
  }
  return sockets
}

/** Resolves on the peer's FIN (after `check`), rejects on error or a close before it. */
function whenEnded(socket: Socket, check: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('end', () => {
      try {
        check()
        resolve()
      } catch (err) {
        reject(err)
      }
      socket.destroy()
    })
    socket.once('error', reject)
    socket.once('close', () => reject(new Error('connection closed before the echo ended')))
  })
}

/** A: bulk echo. Writes `totalBytes` in `writeSize` writes, at most `window` bytes ahead of the echo. */
export async function bulk(spec: Spec<'bulk'>): Promise<ClientResult> {
  const { totalBytes, writeSize, window } = spec
  const socket = await open(spec.port, spec.tls === true, spec.proxyHeader === true)
  const buffer = bulkBuffer(writeSize)
  const checker = new BulkChecker()
  const warm = Math.floor(totalBytes * WARMUP)
  let sent = 0
  let waiting = false
  let tWarm = 0
  let warmBytes = 0
  let tEnd = 0
  const pump = (): void => {
    while (!waiting && sent < totalBytes && sent - checker.bytes < window) {
      const n = Math.min(writeSize, totalBytes - sent)
      sent += n
      if (!socket.write(n === writeSize ? buffer : buffer.subarray(0, n))) waiting = true
    }
    if (sent === totalBytes && !socket.writableEnded) socket.end()
  }
  socket.on('drain', () => {
    waiting = false
    pump()
  })
  socket.on('data', (chunk: Buffer) => {
    checker.push(chunk)
    if (tWarm === 0 && checker.bytes >= warm) {
      tWarm = performance.now()
      warmBytes = checker.bytes
    }
    if (checker.bytes >= totalBytes) tEnd = performance.now()
    else pump()
  })
  const ended = whenEnded(socket, () => {
    if (checker.bytes !== totalBytes) throw new Error(`echoed ${checker.bytes} of ${totalBytes} bytes`)
  })
  pump()
  await ended
  const seconds = (tEnd - tWarm) / 1000
  return {
    values: { mibps: (totalBytes - warmBytes) / MiB / seconds },
    details: { bytes: totalBytes, seconds },
  }
}

/** B, B': pipelined framed echo of `count` frames of `size` bytes, at most `window` bytes in flight. */
export async function frames(spec: Spec<'frames'>): Promise<ClientResult> {
  const { codec, size, count, window } = spec
  const socket = await open(spec.port, spec.tls === true, spec.proxyHeader === true)
  const batch = buildBatch(codec, size)
  const frameBytes = batch.bytes.length / batch.frames
  const checker = frameChecker(codec, size, batch.frames)
  const warm = Math.floor(count * WARMUP)
  let sent = 0
  let waiting = false
  let tWarm = 0
  let warmFrames = 0
  let tEnd = 0
  const pump = (): void => {
    while (!waiting && sent < count && (sent - checker.frames) * frameBytes < window) {
      const n = Math.min(batch.frames, count - sent)
      sent += n
      const bytes = n === batch.frames ? batch.bytes : batch.bytes.subarray(0, batch.ends[n - 1])
      if (!socket.write(bytes)) waiting = true
    }
    if (sent === count && !socket.writableEnded) socket.end()
  }
  socket.on('drain', () => {
    waiting = false
    pump()
  })
  socket.on('data', (chunk: Buffer) => {
    checker.push(chunk)
    if (tWarm === 0 && checker.frames >= warm) {
      tWarm = performance.now()
      warmFrames = checker.frames
    }
    if (checker.frames >= count) tEnd = performance.now()
    else pump()
  })
  const ended = whenEnded(socket, () => {
    if (checker.frames !== count || checker.payloadBytes !== count * size) {
      throw new Error(
        `echoed ${checker.frames} frames (${checker.payloadBytes} bytes) of ${count} (${count * size})`,
      )
    }
  })
  pump()
  await ended
  const seconds = (tEnd - tWarm) / 1000
  const measured = count - warmFrames
  return {
    values: { msgps: measured / seconds, mibps: (measured * size) / MiB / seconds },
    details: { frames: count, seconds },
  }
}

/** A 64 B-style request frame: varint prefix and payload. */
function requestFrame(size: number): Buffer {
  const frame = Buffer.allocUnsafe(size + 5)
  const at = writeVarint(frame, 0, size)
  for (let j = 0; j < size; j++) frame[at + j] = payloadByte(0, j)
  return frame.subarray(0, at + size)
}

/** Round trips on one connection, one frame at a time; resolves once the peer ended after the last. */
function roundTrips(socket: Socket, frame: Buffer, size: number, n: number, end: boolean): Promise<void> {
  let done = 0
  return new Promise<void>((resolve, reject) => {
    const reader = new VarintReader((reply) => {
      if (
        reply.length !== size ||
        reply[0] !== payloadByte(0, 0) ||
        reply[size - 1] !== payloadByte(0, size - 1)
      ) {
        socket.destroy()
        reject(new Error('round-trip echo check failed'))
        return
      }
      done++
      if (done < n) socket.write(frame)
      else if (end) socket.end()
      else resolve()
    })
    socket.on('data', (chunk: Buffer) => reader.push(chunk))
    socket.once('error', reject)
    if (end) {
      socket.once('end', () => {
        socket.destroy()
        if (done === n) resolve()
        else reject(new Error(`ended after ${done} of ${n} round trips`))
      })
    }
    socket.write(frame)
  })
}

/**
 * D: `connections` connections, each `roundTrips` sequential round trips, then a half-close. D-PROXY:
 * the same, each connection writing a PROXY v2 header on connect (`spec.proxyHeader`).
 */
export async function many(spec: Spec<'many'>): Promise<ClientResult> {
  const frame = requestFrame(spec.size)
  const t0 = performance.now()
  const sockets = await openMany(spec.port, spec.connections, spec.batch, spec.proxyHeader === true)
  const tConnected = performance.now()
  await Promise.all(sockets.map((s) => roundTrips(s, frame, spec.size, spec.roundTrips, true)))
  const tEnd = performance.now()
  return {
    values: { ms: tEnd - t0 },
    details: { connectMs: tConnected - t0, roundTripMs: tEnd - tConnected },
  }
}

/**
 * TLS-H: `connections` TLS connections, `concurrency` at a time, each a full handshake (no session
 * resumption), one round trip of a `size`-byte frame, a half-close and the server's FIN. Measured in
 * handshakes per second, from the moment 10% of the connections are done to the last one.
 */
export async function handshakes(spec: Spec<'handshakes'>): Promise<ClientResult> {
  const frame = requestFrame(spec.size)
  return handshakeLoop(spec, async () => {
    const socket = await open(spec.port, true)
    await roundTrips(socket, frame, spec.size, 1, true)
  })
}

/**
 * Runs `once` (one connection's life) `spec.connections` times, `spec.concurrency` at a time, and
 * measures the rate after the warm-up: shared by the raw and the it-socket handshake clients.
 */
export async function handshakeLoop(
  spec: Spec<'handshakes'>,
  once: () => Promise<void>,
): Promise<ClientResult> {
  const { connections, concurrency } = spec
  const warm = Math.max(1, Math.floor(connections * WARMUP))
  let started = 0
  let done = 0
  let tWarm = 0
  const t0 = performance.now()
  const worker = async (): Promise<void> => {
    while (started < connections) {
      started++
      await once()
      done++
      if (done === warm) tWarm = performance.now()
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, connections) }, worker))
  const tEnd = performance.now()
  const seconds = (tEnd - tWarm) / 1000
  return {
    values: { hsps: (connections - warm) / seconds },
    details: { connections, concurrency, seconds, totalMs: tEnd - t0 },
  }
}

/** Prints an event line and waits for the orchestrator's go-ahead on stdin. */
export type Rendezvous = (event: ClientEvent) => Promise<void>

/**
 * E: `warm` connections make one round trip and close (so the server's code paths are compiled
 * before the baseline is taken), then `connections` connections make one round trip each and stay
 * open, idle, until the orchestrator has measured the server.
 */
export async function idle(spec: Spec<'idle'>, rendezvous: Rendezvous): Promise<ClientResult> {
  const frame = requestFrame(spec.size)
  const proxyHeader = spec.proxyHeader === true
  const warm = await openMany(spec.port, spec.warm, spec.batch, proxyHeader)
  await Promise.all(warm.map((s) => roundTrips(s, frame, spec.size, 1, true)))
  await rendezvous({ event: 'warmed' })
  const sockets = await openMany(spec.port, spec.connections, spec.batch, proxyHeader)
  await Promise.all(sockets.map((s) => roundTrips(s, frame, spec.size, 1, false)))
  await rendezvous({ event: 'ready', data: { connections: sockets.length } })
  for (const s of sockets) s.destroy()
  return { values: { connections: sockets.length } }
}

/**
 * F: writes to a server that never reads until no 'drain' comes for `stallMs` or `maxBytes` were
 * written; reports the bytes the kernel took.
 */
export async function stall(spec: Spec<'stall'>, rendezvous: Rendezvous): Promise<ClientResult> {
  const socket = await open(spec.port, false, spec.proxyHeader === true)
  const buffer = Buffer.alloc(spec.writeSize, 0x61)
  let written = 0
  let stalled = false
  while (written < spec.maxBytes) {
    written += spec.writeSize
    if (socket.write(buffer)) continue
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        socket.off('drain', onDrain)
        resolve(false)
      }, spec.stallMs)
      const onDrain = (): void => {
        clearTimeout(timer)
        resolve(true)
      }
      socket.once('drain', onDrain)
    })
    if (!drained) {
      stalled = true
      break
    }
  }
  const sent = written - socket.writableLength
  await rendezvous({ event: 'stalled', data: { sent, stalled } })
  socket.destroy()
  return { values: { sentBytes: sent }, details: { stalled } }
}
