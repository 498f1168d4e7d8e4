/**
 * `decodeWith()`: the driver that turns a codec's synchronous `FrameDecoder` step into an async
 * `decode` transform, offering its frames in batches and its step as a `Stage` (see `src/batches.ts`).
 *
 * @module
 */

import type { Source } from 'it-stream-types'
import type { Uint8ArrayList } from 'uint8arraylist'
import { isUint8ArrayList } from 'uint8arraylist'
import { BatchedItems, type BatchGenerator, batchesOf, type Stage } from '../batches.js'
import type { FrameDecoder } from './codec.js'

/**
 * Returns a `decode` transform that drives decoders made by `createDecoder`. It decodes every whole
 * frame of a chunk in one synchronous pass and offers them as one batch (see `src/batches.ts`), so a
 * batch-aware next stage pays one `await` per chunk; any other consumer gets frames one by one.
 */
export function decodeWith<T>(
  createDecoder: () => FrameDecoder<T>,
): (source: Source<Uint8Array | Uint8ArrayList>) => AsyncGenerator<T> {
  return (source) => new Decoded(createDecoder(), source)
}

/** The output of a `decode` transform: frames, offered in batches and as a synchronous stage. */
class Decoded<T> extends BatchedItems<T> {
  constructor(
    private readonly decoder: FrameDecoder<T>,
    private readonly source: Source<Uint8Array | Uint8ArrayList>,
  ) {
    super()
  }

  protected override openBatches(): BatchGenerator<T> {
    return decodeBatches(this.decoder, this.source)
  }

  protected override openStage(): Stage<Uint8Array | Uint8ArrayList, T> {
    return new DecodeStage(this.decoder, this.source)
  }
}

/** `decode`'s synchronous step: every whole frame of a batch of chunks. */
class DecodeStage<T> implements Stage<Uint8Array | Uint8ArrayList, T> {
  constructor(
    private readonly decoder: FrameDecoder<T>,
    readonly source: Source<Uint8Array | Uint8ArrayList>,
  ) {}

  step(chunks: readonly (Uint8Array | Uint8ArrayList)[], out: T[]): boolean {
    decodeInto(this.decoder, chunks, out)
    return false
  }

  end(out: T[]): void {
    const last = this.decoder.end()
    if (last !== undefined) out.push(last)
  }
}

/** Feeds `chunks` to `decoder` and pushes every whole frame onto `out` (which keeps them on a throw). */
function decodeInto<T>(
  decoder: FrameDecoder<T>,
  chunks: readonly (Uint8Array | Uint8ArrayList)[],
  out: T[],
): void {
  for (const buf of buffersOf(chunks)) {
    decoder.push(buf)
    for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) out.push(frame)
  }
}

/**
 * The buffers of a batch of chunks, a list's own buffers in place of the list (`list.subarray()`
 * would copy them into one); the batch itself when it holds plain arrays only.
 */
export function buffersOf(batch: readonly (Uint8Array | Uint8ArrayList)[]): readonly Uint8Array[] {
  if (batch.every((chunk) => chunk instanceof Uint8Array)) return batch as readonly Uint8Array[]
  const buffers: Uint8Array[] = []
  for (const chunk of batch) {
    if (chunk instanceof Uint8Array || !isUint8ArrayList(chunk)) buffers.push(chunk)
    else for (const buf of chunk) buffers.push(buf)
  }
  return buffers
}

/**
 * Most frames `decode` offers in one batch (256). A chunk holding more is decoded as its batches are
 * taken, not all at once: a consumer that takes frames one by one (`for await`) then holds at most
 * this many decoded values at a time. Holding a whole 64 KiB chunk's worth (some 1,800 small RESP
 * replies) while each was awaited in turn made V8 see them survive its young-generation collections
 * and allocate every later one in the old generation, where collecting them is several times
 * slower: RESP decoding ran at 0.3 M replies/s instead of 2 M in one run out of three.
 */
const DECODE_BATCH = 256

async function* decodeBatches<T>(
  decoder: FrameDecoder<T>,
  source: Source<Uint8Array | Uint8ArrayList>,
): BatchGenerator<T> {
  for await (const chunks of batchesOf(source)) {
    let frames: T[] = []
    try {
      for (const buf of buffersOf(chunks)) {
        decoder.push(buf)
        while (!drainInto(decoder, frames)) {
          yield frames
          frames = []
        }
      }
    } catch (err) {
      // Frames decoded before the bad one are delivered first: nothing received whole is lost.
      if (frames.length > 0) yield frames
      throw err
    }
    if (frames.length > 0) yield frames
  }
  const last = decoder.end()
  if (last !== undefined) yield [last]
}

/**
 * Moves the decoder's whole frames onto `out` until it has none left (true) or `out` holds
 * {@link DECODE_BATCH} (false: call again once `out` was taken).
 */
function drainInto<T>(decoder: FrameDecoder<T>, out: T[]): boolean {
  while (out.length < DECODE_BATCH) {
    const frame = decoder.next()
    if (frame === undefined) return true
    out.push(frame)
  }
  return false
}
