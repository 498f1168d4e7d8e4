import { FrameTooLongError } from '../errors.js'
import { concat, EMPTY_BYTES } from './buffers.js'
import type { FrameDecoder } from './codec.js'

const CR = 0x0d

/**
 * The first occurrence of `needle` (not empty) in `haystack` at or after `from`, or -1: `indexOf` finds
 * each candidate first byte natively, the rest is compared in place.
 */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const d = needle.length
  const first = needle[0] as number
  if (d === 1) return haystack.indexOf(first, from)
  const last = haystack.length - d
  for (let at = haystack.indexOf(first, from); at >= 0 && at <= last; at = haystack.indexOf(first, at + 1)) {
    let i = 1
    while (i < d && haystack[at + i] === needle[i]) i++
    if (i === d) return at
  }
  return -1
}

/**
 * The decoding step shared by `delimited()` and `lines()`: frames end at each occurrence of
 * `delimiter` (not included in the frame). The scan uses `indexOf` for the delimiter's first byte and
 * checks the rest; a delimiter split across chunks is found by matching the end of the pending bytes
 * against the start of the next chunk. The bytes of a frame not yet complete are kept by reference
 * (never more than `maxLength` plus the delimiter's length) and copied once, when the frame ends.
 */
export class DelimiterDecoder implements FrameDecoder<Uint8Array> {
  private chunk: Uint8Array = EMPTY_BYTES
  private pos = 0
  /** The start of the frame in progress, from earlier chunks. */
  private pieces: Uint8Array[] = []
  private pending = 0
  /** Whether the current chunk may complete a delimiter begun in `pieces`. */
  private straddle = false
  private readonly first: number
  /** Pending bytes allowed before failing: the frame, plus a delimiter (and `\r`) not yet complete. */
  private readonly holdLimit: number

  /**
   * @param delimiter the bytes that end each frame; not empty
   * @param maxLength largest frame accepted, in bytes, delimiter (and stripped `\r`) not included
   * @param stripCR whether a `\r` before the delimiter is removed from the frame (lines)
   */
  constructor(
    private readonly delimiter: Uint8Array,
    private readonly maxLength: number,
    private readonly stripCR = false,
  ) {
    this.first = delimiter[0] as number
    this.holdLimit = maxLength + delimiter.length - 1 + (stripCR ? 1 : 0)
  }

  push(chunk: Uint8Array): void {
    this.chunk = chunk
    this.pos = 0
    this.straddle = this.pending > 0 && this.delimiter.length > 1
  }

  next(): Uint8Array | undefined {
    const chunk = this.chunk
    const pos = this.pos
    if (pos >= chunk.length) return undefined
    if (this.straddle) {
      this.straddle = false
      const k = this.straddleMatch()
      if (k > 0) {
        const frame = concat(this.pieces, this.pending - k)
        this.pieces = []
        this.pending = 0
        this.pos = this.delimiter.length - k
        return this.finish(frame)
      }
    }
    const at =
      this.delimiter.length === 1 ? chunk.indexOf(this.first, pos) : indexOfBytes(chunk, this.delimiter, pos)
    if (at < 0) {
      const pending = this.pending + chunk.length - pos
      if (pending > this.holdLimit) {
        throw new FrameTooLongError(
          `Cannot decode frame: ${pending} bytes without a delimiter exceed maxLength ${this.maxLength}`,
        )
      }
      this.pieces.push(pos === 0 ? chunk : chunk.subarray(pos))
      this.pending = pending
      this.pos = chunk.length
      return undefined
    }
    this.pos = at + this.delimiter.length
    if (this.pending === 0) return this.finish(chunk.subarray(pos, at))
    this.pieces.push(chunk.subarray(pos, at))
    const frame = concat(this.pieces, this.pending + at - pos)
    this.pieces = []
    this.pending = 0
    return this.finish(frame)
  }

  end(): Uint8Array | undefined {
    if (this.pending === 0) return undefined
    const frame = concat(this.pieces, this.pending)
    this.pieces = []
    this.pending = 0
    return this.finish(frame)
  }

  take(): Uint8Array[] {
    const out = this.pieces
    if (this.pos < this.chunk.length) out.push(this.chunk.subarray(this.pos))
    this.pieces = []
    this.pending = 0
    this.chunk = EMPTY_BYTES
    this.pos = 0
    this.straddle = false
    return out
  }

  /** Strips a trailing `\r` if asked and checks the frame's length. */
  private finish(frame: Uint8Array): Uint8Array {
    const n = frame.length
    const result = this.stripCR && n > 0 && frame[n - 1] === CR ? frame.subarray(0, n - 1) : frame
    if (result.length > this.maxLength) {
      throw new FrameTooLongError(
        `Cannot decode frame: length ${result.length} exceeds maxLength ${this.maxLength}`,
      )
    }
    return result
  }

  /**
   * How many of the delimiter's bytes end the pending bytes when the rest start the current chunk
   * (the earliest such occurrence), or 0.
   */
  private straddleMatch(): number {
    const delimiter = this.delimiter
    const d = delimiter.length
    const chunk = this.chunk
    for (let k = Math.min(d - 1, this.pending); k >= 1; k--) {
      if (chunk.length < d - k) continue
      let ok = true
      for (let i = 0; ok && i < k; i++) ok = this.pendingByte(this.pending - k + i) === delimiter[i]
      for (let i = 0; ok && i < d - k; i++) ok = chunk[i] === delimiter[k + i]
      if (ok) return k
    }
    return 0
  }

  /** The pending byte at `index` (counting from the frame's start); near the end, so searched from there. */
  private pendingByte(index: number): number | undefined {
    let offset = this.pending
    for (let p = this.pieces.length - 1; p >= 0; p--) {
      const piece = this.pieces[p] as Uint8Array
      offset -= piece.length
      if (index >= offset) return piece[index - offset]
    }
    return undefined
  }
}
