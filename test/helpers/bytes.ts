import { createHash } from 'node:crypto'

/** Deterministic pseudo-random bytes (xorshift), so a failing test reproduces. */
export function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** SHA-256 of everything in `chunks`, hex. */
export function sha256(chunks: Iterable<Uint8Array>): string {
  const hash = createHash('sha256')
  for (const chunk of chunks) hash.update(chunk)
  return hash.digest('hex')
}

/** Collects an async iterable of byte chunks into one array. */
export async function collectBytes(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let length = 0
  for await (const chunk of source) {
    chunks.push(chunk)
    length += chunk.byteLength
  }
  const out = new Uint8Array(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** Yields `total` bytes in chunks of `size` (the same chunk reused: nothing accumulates). */
export async function* repeatChunk(chunk: Uint8Array, total: number): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < total; sent += chunk.byteLength)
    yield chunk.subarray(0, Math.min(chunk.byteLength, total - sent))
}

export const encoder = new TextEncoder()
export const decoder = new TextDecoder()
