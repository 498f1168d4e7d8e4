/**
 * The load generator's side of the wire: deterministic payloads, the pre-encoded batches it writes,
 * and checkers that verify what comes back without allocating per frame. A server that echoes
 * garbage, drops, reorders or truncates frames makes a checker throw, and the run fails loudly.
 *
 * @module
 */

import type { FramesCodec } from './protocol.js'

/** Byte `j` of the payload of frame `k` of a batch: lowercase ASCII, so lines can carry it too. */
export function payloadByte(k: number, j: number): number {
  return 97 + ((k + j) % 26)
}

/** Bytes of the minimal unsigned LEB128 varint holding `value`. */
export function varintLength(value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    n++
  }
  return n
}

/** Writes `value` as a varint at `out[offset]`; returns the offset after it. */
export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value & 0x7f) | 0x80
    value = Math.floor(value / 128)
  }
  out[offset++] = value
  return offset
}

/** A batch of `frames` encoded frames, written again and again: the client never encodes in the loop. */
export interface Batch {
  bytes: Buffer
  frames: number
  /** Byte offset where each frame ends, for writing a partial last batch. */
  ends: number[]
}

/** Frames per batch: about 64 KiB of them, at least one. */
export function framesPerBatch(frameBytes: number): number {
  return Math.max(1, Math.floor((64 * 1024) / frameBytes))
}

/** Bytes of one frame of `size` payload bytes in `codec`'s framing. */
export function frameBytes(codec: FramesCodec, size: number): number {
  return codec === 'lp' ? varintLength(size) + size : codec === 'u32' ? 4 + size : size + 1
}

/**
 * A batch of length-prefixed (`lp`: varint; `u32`: 4-byte big-endian) or newline-terminated
 * (`lines`) frames of `size` payload bytes.
 */
export function buildBatch(codec: FramesCodec, size: number): Batch {
  const frames = framesPerBatch(frameBytes(codec, size))
  const bytes = Buffer.allocUnsafe(frames * frameBytes(codec, size))
  const ends: number[] = []
  let at = 0
  for (let k = 0; k < frames; k++) {
    if (codec === 'lp') at = writeVarint(bytes, at, size)
    else if (codec === 'u32') at = bytes.writeUInt32BE(size, at)
    for (let j = 0; j < size; j++) bytes[at + j] = payloadByte(k, j)
    at += size
    if (codec === 'lines') bytes[at++] = 0x0a
    ends.push(at)
  }
  return { bytes, frames, ends }
}

/** Common bookkeeping of the frame checkers. */
export abstract class FrameChecker {
  frames = 0
  payloadBytes = 0
  /** Bytes of the frame in progress seen so far. */
  protected offset = 0

  constructor(
    protected readonly size: number,
    protected readonly batchFrames: number,
  ) {}

  abstract push(chunk: Uint8Array): void

  /** Checks payload bytes `chunk[from, to)`, which sit at `this.offset` in the current frame. */
  protected checkPayload(chunk: Uint8Array, from: number, to: number): void {
    const k = this.frames % this.batchFrames
    const size = this.size
    if (this.frames < this.batchFrames) {
      // The first batch is compared byte for byte; later frames at their first and last byte.
      for (let i = from; i < to; i++) {
        if (chunk[i] !== payloadByte(k, this.offset + i - from)) this.fail('wrong payload byte')
      }
      return
    }
    if (this.offset === 0 && to > from && chunk[from] !== payloadByte(k, 0)) this.fail('wrong first byte')
    const end = this.offset + to - from
    if (end === size && to > from && chunk[to - 1] !== payloadByte(k, size - 1)) this.fail('wrong last byte')
  }

  /**
   * Checks the payload bytes of `chunk[i, n)` that belong to the frame in progress and returns where
   * they end; once the frame is whole, counts it and sets `offset` back to 0.
   */
  protected takePayload(chunk: Uint8Array, i: number, n: number): number {
    const take = Math.min(this.size - this.offset, n - i)
    this.checkPayload(chunk, i, i + take)
    this.offset += take
    if (this.offset === this.size) {
      this.offset = 0
      this.payloadBytes += this.size
      this.frames++
    }
    return i + take
  }

  protected fail(what: string): never {
    throw new Error(`Echo check failed at frame ${this.frames} (offset ${this.offset}): ${what}`)
  }
}

/** Verifies a stream of varint length-prefixed frames of exactly `size` payload bytes. */
export class LpChecker extends FrameChecker {
  private inPayload = false
  private value = 0
  private scale = 1

  push(chunk: Uint8Array): void {
    const n = chunk.length
    const size = this.size
    let i = 0
    while (i < n) {
      if (!this.inPayload) {
        const byte = chunk[i++] as number
        this.value += (byte & 0x7f) * this.scale
        if (byte >= 0x80) {
          this.scale *= 128
          if (this.scale > 2 ** 35) this.fail('varint too long')
          continue
        }
        if (this.value !== size) this.fail(`length ${this.value}, expected ${size}`)
        this.value = 0
        this.scale = 1
        this.inPayload = true
        this.offset = 0
        if (size > 0) continue
      }
      i = this.takePayload(chunk, i, n)
      if (this.offset === 0) this.inPayload = false
    }
  }
}

/** Verifies a stream of 4-byte big-endian length-prefixed frames of exactly `size` payload bytes. */
export class U32Checker extends FrameChecker {
  /** Header bytes of the current frame seen so far (4: in the payload). */
  private headerBytes = 0
  private value = 0

  push(chunk: Uint8Array): void {
    const n = chunk.length
    const size = this.size
    let i = 0
    while (i < n) {
      if (this.headerBytes < 4) {
        this.value = this.value * 256 + (chunk[i++] as number)
        if (++this.headerBytes < 4) continue
        if (this.value !== size) this.fail(`length ${this.value}, expected ${size}`)
        this.value = 0
        this.offset = 0
        if (size > 0) continue
      }
      i = this.takePayload(chunk, i, n)
      if (this.offset === 0) this.headerBytes = 0
    }
  }
}

/** A checker for `codec`'s frames of `size` payload bytes, `batchFrames` to a batch. */
export function frameChecker(codec: FramesCodec, size: number, batchFrames: number): FrameChecker {
  if (codec === 'lp') return new LpChecker(size, batchFrames)
  if (codec === 'u32') return new U32Checker(size, batchFrames)
  return new LinesChecker(size, batchFrames)
}

/** Verifies a stream of `\n`-terminated lines of exactly `size` bytes. */
export class LinesChecker extends FrameChecker {
  push(chunk: Uint8Array): void {
    const n = chunk.length
    let i = 0
    while (i < n) {
      const nl = chunk.indexOf(0x0a, i)
      const to = nl < 0 ? n : nl
      if (this.offset + to - i > this.size) this.fail('line too long')
      this.checkPayload(chunk, i, to)
      this.offset += to - i
      if (nl < 0) return
      if (this.offset !== this.size) this.fail(`line of ${this.offset} bytes, expected ${this.size}`)
      this.payloadBytes += this.size
      this.frames++
      this.offset = 0
      i = nl + 1
    }
  }
}

/** Byte at stream offset `o` of the bulk workload: periodic in 64 KiB, so one buffer is written over and over. */
export function bulkByte(o: number): number {
  return (o & 0xffff) % 251
}

/** A 64 KiB-periodic bulk buffer of `size` bytes (`size` divides 64 KiB or is a multiple of it). */
export function bulkBuffer(size: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) out[i] = bulkByte(i)
  return out
}

/** Verifies echoed bulk bytes by position: the first, middle and last byte of every chunk. */
export class BulkChecker {
  bytes = 0

  push(chunk: Uint8Array): void {
    const n = chunk.length
    if (n === 0) return
    const o = this.bytes
    const mid = n >> 1
    if (
      chunk[0] !== bulkByte(o) ||
      chunk[mid] !== bulkByte(o + mid) ||
      chunk[n - 1] !== bulkByte(o + n - 1)
    ) {
      throw new Error(`Echo check failed: wrong bytes in the chunk at offset ${o}`)
    }
    this.bytes = o + n
  }
}
