import type { Uint8ArrayList } from 'uint8arraylist'
import { InvalidFrameError, UnexpectedEndError } from '../errors.js'
import { EMPTY_BYTES, uninitialized } from './buffers.js'
import { checkChunk } from './checks.js'
import type { ByteCodec, FrameDecoder } from './codec.js'
import { defineCodec } from './define-codec.js'

/**
 * A codec for frames of exactly `size` bytes, with nothing between them. Encoding yields each message
 * as it is (no copy; a `Uint8ArrayList` is taken too); a message of another size fails with
 * `InvalidFrameError` (not `RangeError`: it is a bad message in a stream, reported like every other
 * frame error, with a `code`).
 *
 * Frames within one chunk are `subarray`s of it; a frame spanning chunks is copied once into a buffer
 * of `size` bytes, the most a decoder holds. The stream must end on a frame boundary.
 *
 * @throws {TypeError | RangeError} at once, unless `size` is a positive integer
 * @throws {TypeError} (from `encode`) for a message that is not a `Uint8Array` or `Uint8ArrayList`
 * @throws {InvalidFrameError} (from `encode`) for a message of another size
 * @throws {UnexpectedEndError} (from `decode`) when the stream ends inside a frame
 */
export function fixed(size: number): ByteCodec {
  if (typeof size !== 'number') throw new TypeError(`size must be a number, got ${typeof size}`)
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`size must be a positive integer, got ${size}`)
  }

  function encodeFrame(message: Uint8Array): Uint8Array | Uint8ArrayList {
    checkChunk(message, 'fixed()')
    if (message.length !== size) {
      throw new InvalidFrameError(
        `Cannot encode frame: length ${message.length} is not the fixed size ${size}`,
      )
    }
    return message
  }

  return defineCodec('bytes', () => new FixedDecoder(size), encodeFrame)
}

/** The decoding step of `fixed()`. */
export class FixedDecoder implements FrameDecoder<Uint8Array> {
  private chunk: Uint8Array = EMPTY_BYTES
  private pos = 0
  /** A frame spanning chunks, being filled; `undefined` otherwise. */
  private frame: Uint8Array | undefined = undefined
  private filled = 0

  constructor(private readonly size: number) {}

  push(chunk: Uint8Array): void {
    this.chunk = chunk
    this.pos = 0
  }

  next(): Uint8Array | undefined {
    const chunk = this.chunk
    const pos = this.pos
    const available = chunk.length - pos
    const frame = this.frame
    if (frame !== undefined) {
      const n = Math.min(this.size - this.filled, available)
      frame.set(chunk.subarray(pos, pos + n), this.filled)
      this.filled += n
      this.pos = pos + n
      if (this.filled < this.size) return undefined
      this.frame = undefined
      return frame
    }
    if (available >= this.size) {
      this.pos = pos + this.size
      return chunk.subarray(pos, this.pos)
    }
    if (available > 0) {
      this.frame = uninitialized(this.size)
      this.frame.set(chunk.subarray(pos))
      this.filled = available
      this.pos = chunk.length
    }
    return undefined
  }

  end(): undefined {
    if (this.frame !== undefined) {
      throw new UnexpectedEndError(
        `Cannot decode frame: stream ended after ${this.filled} of ${this.size} bytes of a fixed-size frame`,
      )
    }
    return undefined
  }

  take(): Uint8Array[] {
    const out: Uint8Array[] = []
    if (this.frame !== undefined) out.push(this.frame.subarray(0, this.filled))
    if (this.pos < this.chunk.length) out.push(this.chunk.subarray(this.pos))
    this.frame = undefined
    this.chunk = EMPTY_BYTES
    this.pos = 0
    return out
  }
}
