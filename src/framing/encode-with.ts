/**
 * `encodeWith()`: the driver that turns a codec's `encodeFrame` step into an async `encode`
 * transform, offering its frames in batches and its step as a `Stage` (see `src/batches.ts`).
 *
 * @module
 */

import type { Source } from 'it-stream-types'
import type { Uint8ArrayList } from 'uint8arraylist'
import { BatchedItems, type BatchGenerator, batchesOf, type Stage } from '../batches.js'

/**
 * Returns an `encode` transform that applies `encodeFrame` to each message, a whole batch at a time
 * when its source offers batches (and offering the encoded batch on to the sink).
 */
export function encodeWith<T>(
  encodeFrame: (message: T) => Uint8Array | Uint8ArrayList,
): (source: Source<T>) => AsyncGenerator<Uint8Array | Uint8ArrayList> {
  return (source) => new Encoded(encodeFrame, source)
}

/** The output of an `encode` transform: frames, offered in batches and as a synchronous stage. */
class Encoded<T> extends BatchedItems<Uint8Array | Uint8ArrayList> {
  constructor(
    private readonly encodeFrame: (message: T) => Uint8Array | Uint8ArrayList,
    private readonly source: Source<T>,
  ) {
    super()
  }

  protected override openBatches(): BatchGenerator<Uint8Array | Uint8ArrayList> {
    return encodeBatches(this.encodeFrame, this.source)
  }

  protected override openStage(): Stage<T, Uint8Array | Uint8ArrayList> {
    return new EncodeStage(this.encodeFrame, this.source)
  }
}

/** `encode`'s synchronous step: each message of a batch as a frame. */
class EncodeStage<T> implements Stage<T, Uint8Array | Uint8ArrayList> {
  constructor(
    private readonly encodeFrame: (message: T) => Uint8Array | Uint8ArrayList,
    readonly source: Source<T>,
  ) {}

  step(messages: readonly T[], out: (Uint8Array | Uint8ArrayList)[]): boolean {
    for (const message of messages) out.push(this.encodeFrame(message))
    return false
  }

  end(): void {}
}

async function* encodeBatches<T>(
  encodeFrame: (message: T) => Uint8Array | Uint8ArrayList,
  source: Source<T>,
): BatchGenerator<Uint8Array | Uint8ArrayList> {
  for await (const messages of batchesOf(source)) {
    const frames: (Uint8Array | Uint8ArrayList)[] = []
    try {
      for (const message of messages) frames.push(encodeFrame(message))
    } catch (err) {
      if (frames.length > 0) yield frames
      throw err
    }
    yield frames
  }
}
