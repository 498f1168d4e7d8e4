/**
 * Building a codec from synchronous steps: `defineCodec()` from a decoder and an encoding step,
 * `layerCodec()` one codec over another (`text()`, `json()`), `mapDecoder()` a decoder whose frames
 * are converted.
 *
 * @module
 */

import type { Uint8ArrayList } from 'uint8arraylist'
import type { Codec, CodecKind, FrameDecoder } from './codec.js'
import { decodeWith } from './decode-with.js'
import { encodeWith } from './encode-with.js'

/** Builds a codec from its two synchronous steps. */
export function defineCodec<K extends CodecKind, T>(
  kind: K,
  createDecoder: () => FrameDecoder<T>,
  encodeFrame: (message: T) => Uint8Array | Uint8ArrayList,
): Codec<T> & {
  /** The `kind` passed in, typed as given. */
  readonly kind: K
} {
  return {
    kind,
    encode: encodeWith(encodeFrame),
    decode: decodeWith(createDecoder),
    createDecoder,
    encodeFrame,
  }
}

/** A decoder whose frames are those of `inner` passed through `map` (which may throw). */
export function mapDecoder<A, B>(inner: FrameDecoder<A>, map: (frame: A) => B): FrameDecoder<B> {
  return {
    push: (chunk) => inner.push(chunk),
    next: () => {
      const frame = inner.next()
      return frame === undefined ? undefined : map(frame)
    },
    end: () => {
      const frame = inner.end()
      return frame === undefined ? undefined : map(frame)
    },
    take: () => inner.take(),
  }
}

/**
 * A codec of `B` messages over `codec`, converting each frame with `fromInner` (decoding) and
 * `toInner` (encoding). Keeps the inner codec's synchronous steps when it has them.
 */
export function layerCodec<A, B, K extends CodecKind>(
  codec: Codec<A>,
  kind: K,
  fromInner: (frame: A) => B,
  toInner: (message: B) => A,
): Codec<B> & { readonly kind: K } {
  const { createDecoder: inner, encodeFrame: innerEncode } = codec
  if (inner !== undefined && innerEncode !== undefined) {
    return defineCodec(
      kind,
      () => mapDecoder(inner(), fromInner),
      (message: B) => innerEncode(toInner(message)),
    )
  }
  return {
    kind,
    encode: (source) =>
      codec.encode(
        (async function* () {
          for await (const message of source) yield toInner(message)
        })(),
      ),
    decode: async function* (source) {
      for await (const frame of codec.decode(source)) yield fromInner(frame)
    },
  }
}
