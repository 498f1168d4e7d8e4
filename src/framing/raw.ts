import type { Uint8ArrayList } from 'uint8arraylist'
import { EMPTY_BYTES } from './buffers.js'
import { checkChunk } from './checks.js'
import type { ByteCodec, FrameDecoder } from './codec.js'
import { defineCodec } from './define-codec.js'

/**
 * No framing: each chunk read is a message, each message written is a chunk, as they are (no copy;
 * a `Uint8ArrayList` is taken too). A `Uint8ArrayList` chunk read is yielded buffer by buffer, without
 * joining them. Empty chunks are skipped. Message boundaries do not survive a socket (the network
 * splits and merges chunks): use `raw()` for byte streams, or to switch framing later with `framed()`.
 *
 * Built from its two steps like every other codec, so `pipe(conn, raw().decode, raw().encode, conn)`
 * runs as the other codecs' pipes do (see `src/batches.ts`).
 *
 * @throws {TypeError} (from `encode`) for a message that is not a `Uint8Array` or `Uint8ArrayList`
 */
export function raw(): ByteCodec {
  return defineCodec('bytes', () => new RawDecoder(), encodeFrame)
}

/** `raw()`'s encoding step: the message itself, once its type is checked. */
function encodeFrame(chunk: Uint8Array): Uint8Array | Uint8ArrayList {
  checkChunk(chunk, 'raw()')
  return chunk
}

/** The decoding step of `raw()`: the rest of each chunk. */
export class RawDecoder implements FrameDecoder<Uint8Array> {
  private chunk: Uint8Array = EMPTY_BYTES
  private pos = 0

  push(chunk: Uint8Array): void {
    this.chunk = chunk
    this.pos = 0
  }

  next(): Uint8Array | undefined {
    const { chunk, pos } = this
    if (pos >= chunk.length) return undefined
    this.pos = chunk.length
    return pos === 0 ? chunk : chunk.subarray(pos)
  }

  end(): undefined {
    return undefined
  }

  take(): Uint8Array[] {
    const out = this.pos < this.chunk.length ? [this.chunk.subarray(this.pos)] : []
    this.chunk = EMPTY_BYTES
    this.pos = 0
    return out
  }
}
