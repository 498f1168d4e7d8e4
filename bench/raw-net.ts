/**
 * The baseline: what a careful hand-written server on `node:net` does, with no abstraction in the
 * way. Bytes: `socket.pipe(socket)`. Messages: a varint length-prefix loop over `'data'` events that
 * decodes each frame (a `subarray` when it lies in one chunk, one copy into a buffer of its size when
 * it spans chunks), re-encodes it, and writes everything one event produced at once (small frames
 * copied into one buffer, large ones referenced, corked into one `writev`), pausing on backpressure.
 * That is the practical limit the other stacks are measured against.
 *
 * @module
 */

import { connect, createServer, type Server, type Socket } from 'node:net'
import { writeVarint } from './frames.js'

/** Payloads up to this size are copied into the output slab; larger ones are written by reference. */
const COPY_LIMIT = 4096
const SLAB = 64 * 1024

/** Every stack's listen backlog, so that none drops SYNs the others would have kept. */
export const BACKLOG = 1024

/**
 * Splits a byte stream into varint length-prefixed payloads, calling `onFrame` with each; frames in
 * one chunk are `subarray`s of it (valid during the call only).
 */
export class VarintReader {
  private value = 0
  private scale = 1
  private payload: Buffer | undefined
  private filled = 0

  constructor(private readonly onFrame: (payload: Uint8Array) => void) {}

  /** Whether the stream stopped inside a frame. */
  get partial(): boolean {
    return this.payload !== undefined || this.scale > 1
  }

  push(chunk: Buffer): void {
    const n = chunk.length
    let pos = 0
    const payload = this.payload
    if (payload !== undefined) {
      const take = Math.min(payload.length - this.filled, n)
      chunk.copy(payload, this.filled, 0, take)
      this.filled += take
      pos = take
      if (this.filled < payload.length) return
      this.payload = undefined
      this.onFrame(payload)
    }
    while (pos < n) {
      const byte = chunk[pos++] as number
      this.value += (byte & 0x7f) * this.scale
      if (byte >= 0x80) {
        this.scale *= 128
        if (this.scale > 2 ** 28) throw new Error('varint length prefix too long')
        continue
      }
      const length = this.value
      this.value = 0
      this.scale = 1
      if (n - pos >= length) {
        this.onFrame(chunk.subarray(pos, pos + length))
        pos += length
      } else {
        const buffer = Buffer.allocUnsafe(length)
        chunk.copy(buffer, 0, pos)
        this.payload = buffer
        this.filled = n - pos
        pos = n
      }
    }
  }
}

/**
 * The output slab, shared by every connection as Node.js shares its Buffer pool: an idle connection
 * holds no output memory, and bytes handed to a write are never overwritten (the slab only moves on).
 */
let slab = Buffer.allocUnsafe(SLAB)
let slabAt = 0

/** Collects the encoded output of one `'data'` event and writes it in one go. */
export class OutputBatch {
  private start = -1
  private pieces: Uint8Array[] = []

  /** Room for `n` more bytes in the slab (a new slab when full; the old one stays with its writes). */
  private room(n: number): void {
    if (this.start < 0) this.start = slabAt
    if (slabAt + n <= SLAB) return
    this.cut()
    slab = Buffer.allocUnsafe(Math.max(SLAB, n))
    slabAt = 0
    this.start = 0
  }

  /** Ends the current slab piece (if any) and queues it. */
  private cut(): void {
    if (this.start >= 0 && slabAt > this.start) this.pieces.push(slab.subarray(this.start, slabAt))
    this.start = -1
  }

  /** Appends a length-prefixed frame. */
  frame(payload: Uint8Array): void {
    const n = payload.length
    if (n <= COPY_LIMIT) {
      this.room(n + 5)
      slabAt = writeVarint(slab, slabAt, n)
      slab.set(payload, slabAt)
      slabAt += n
      return
    }
    this.room(5)
    slabAt = writeVarint(slab, slabAt, n)
    this.cut()
    this.pieces.push(payload)
  }

  /** Appends a line (UTF-8) and its `\n`. */
  line(text: string): void {
    this.room(text.length * 3 + 1)
    slabAt += slab.write(text, slabAt, 'utf8')
    slab[slabAt++] = 0x0a
  }

  /** Writes what was appended; returns `socket.write`'s verdict (false: wait for 'drain'). */
  flush(socket: Socket): boolean {
    this.cut()
    const pieces = this.pieces
    if (pieces.length === 0) return true
    this.pieces = []
    if (pieces.length === 1) return socket.write(pieces[0] as Uint8Array)
    socket.cork()
    let ok = true
    for (const piece of pieces) ok = socket.write(piece)
    socket.uncork()
    return ok
  }
}

/** Pauses reading while the socket's write buffer is full: the hand-written backpressure. */
function flushWithBackpressure(socket: Socket, out: OutputBatch): void {
  if (!out.flush(socket) && !socket.isPaused()) {
    socket.pause()
    socket.once('drain', () => socket.resume())
  }
}

/** The hand-written length-prefixed echo of one connection (also the raw `node:tls` server's, over TLS). */
export function lpEcho(socket: Socket): void {
  const out = new OutputBatch()
  const reader = new VarintReader((payload) => out.frame(payload))
  socket.on('data', (chunk: Buffer) => {
    reader.push(chunk)
    flushWithBackpressure(socket, out)
  })
  socket.on('end', () => {
    if (reader.partial) socket.destroy(new Error('stream ended inside a frame'))
    else socket.end()
  })
}

function linesEcho(socket: Socket): void {
  const out = new OutputBatch()
  let carry: Buffer | undefined
  socket.on('data', (chunk: Buffer) => {
    let pos = 0
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, pos)) {
      let end = nl
      let line: Buffer = chunk
      let from = pos
      if (carry !== undefined) {
        line = Buffer.concat([carry, chunk.subarray(pos, nl)])
        carry = undefined
        from = 0
        end = line.length
      }
      if (end > from && line[end - 1] === 0x0d) end--
      out.line(line.toString('utf8', from, end))
      pos = nl + 1
    }
    if (pos < chunk.length) {
      carry = carry === undefined ? chunk.subarray(pos) : Buffer.concat([carry, chunk.subarray(pos)])
    }
    flushWithBackpressure(socket, out)
  })
  socket.on('end', () => {
    if (carry !== undefined) out.line(carry.toString('utf8'))
    out.flush(socket)
    socket.end()
  })
}

/** Starts the raw `node:net` server for `mode`; resolves once listening. */
export function rawServer(mode: 'bytes' | 'lp' | 'lines' | 'paused'): Promise<Server> {
  const held: Socket[] = []
  const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: mode === 'paused' })
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => socket.destroy())
    if (mode === 'bytes') socket.pipe(socket)
    else if (mode === 'lp') lpEcho(socket)
    else if (mode === 'lines') linesEcho(socket)
    else held.push(socket) // paused: accepted, never read
  })
  return new Promise((resolve) =>
    server.listen({ host: '127.0.0.1', port: 0, backlog: BACKLOG }, () => resolve(server)),
  )
}

/**
 * The hand-written ping-pong client: a callback loop, no promise per round trip. Resolves with each
 * round trip's time in nanoseconds.
 */
export function rawPingPong(port: number, payload: Uint8Array, count: number): Promise<Float64Array> {
  const frame = Buffer.allocUnsafe(payload.length + 5)
  const frameLength = writeVarint(frame, 0, payload.length)
  frame.set(payload, frameLength)
  const request = frame.subarray(0, frameLength + payload.length)
  const times = new Float64Array(count)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true })
    let done = 0
    let t0 = 0n
    const reader = new VarintReader((reply) => {
      if (reply.length !== payload.length || reply[0] !== payload[0]) {
        socket.destroy()
        reject(new Error('ping-pong echo check failed'))
        return
      }
      times[done++] = Number(process.hrtime.bigint() - t0)
      if (done === count) {
        socket.end()
        return
      }
      t0 = process.hrtime.bigint()
      socket.write(request)
    })
    socket.on('data', (chunk: Buffer) => reader.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => (done === count ? resolve(times) : reject(new Error('connection closed early'))))
    socket.on('connect', () => {
      t0 = process.hrtime.bigint()
      socket.write(request)
    })
  })
}
