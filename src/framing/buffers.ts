/**
 * Where framing's buffers come from: a module-level slab that encoded frames of up to
 * `COPY_THRESHOLD` bytes are carved from, and exact-size buffers for decoded frames that span chunks.
 *
 * @module
 */

/** No bytes: what a decoder holds before its first chunk (shared, never written to). */
export const EMPTY_BYTES = new Uint8Array(0)

/**
 * Encoded frames (payload plus prefix or delimiter) of at most this many bytes are written into one
 * buffer from the pool, payload copied; larger ones are yielded as a `Uint8ArrayList` that references
 * the payload. Frames carved one after another from the pool lie back to back in memory, and the
 * socket sink merges such neighbours into one write, so the copy is cheaper than the extra socket
 * write a separate prefix costs (measured on Node 20, 1 KiB lp echo: 0.66× → 0.75× of a raw loop).
 * docs/FRAMING.md ("Encoding output") states this value; a test keeps the two equal.
 */
export const COPY_THRESHOLD = 16 * 1024

/**
 * Encoded frames of at most `COPY_THRESHOLD` bytes are carved from slabs of this size, as Node.js
 * does for small `Buffer`s: `new Uint8Array(n)` above 64 bytes costs an off-heap allocation (about
 * 400 ns on Node 20, five times the copy). A frame kept alive keeps its slab alive; frames handed to
 * a socket are released once written.
 */
export const SLAB_SIZE = 64 * 1024
let slab = new Uint8Array(SLAB_SIZE)
let slabOffset = 0

/** Returns `size` (at most `COPY_THRESHOLD`) fresh bytes from the pool. */
export function allocate(size: number): Uint8Array {
  if (slabOffset + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE)
    slabOffset = 0
  }
  const out = slab.subarray(slabOffset, slabOffset + size)
  slabOffset += size
  return out
}

/** Returns room for up to `size` bytes (at most `COPY_THRESHOLD`) in the pool; `claim` takes a part. */
export function reserve(size: number): Uint8Array {
  if (slabOffset + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE)
    slabOffset = 0
  }
  return slab.subarray(slabOffset, slabOffset + size)
}

/** Takes the first `size` bytes of the last `reserve()`. */
export function claim(size: number): Uint8Array {
  const out = slab.subarray(slabOffset, slabOffset + size)
  slabOffset += size
  return out
}

/** From this many bytes up, `uninitialized()` skips the zero-fill. */
const UNFILLED_FROM = 4 * 1024

/**
 * A new `Uint8Array` of exactly `length` bytes (its own `ArrayBuffer`) that the caller will fill
 * entirely. From `UNFILLED_FROM` up it is not zero-filled first (`Buffer.allocUnsafeSlow`): for a
 * 64 KiB frame spanning chunks the fill was as costly as the copy. Smaller ones are zero-filled,
 * which is cheap.
 */
export function uninitialized(length: number): Uint8Array {
  return length >= UNFILLED_FROM
    ? new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length)
    : new Uint8Array(length)
}

/** Joins `pieces` (total `length` bytes, or the first `length` of them) into one new buffer. */
export function concat(pieces: readonly Uint8Array[], length: number): Uint8Array {
  const out = uninitialized(length)
  let offset = 0
  for (const piece of pieces) {
    const n = Math.min(piece.length, length - offset)
    out.set(n === piece.length ? piece : piece.subarray(0, n), offset)
    offset += n
    if (offset === length) break
  }
  return out
}
