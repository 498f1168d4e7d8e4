/**
 * The `Codec` contract shared by every framing codec, its kinds, and the synchronous `FrameDecoder`
 * step the codecs are built from. Types only: `defineCodec()` (define-codec.ts) builds a codec from
 * its steps, `decodeWith()` and `encodeWith()` drive them.
 *
 * @module
 */

import type { Source } from 'it-stream-types'
import type { Uint8ArrayList } from 'uint8arraylist'

/**
 * Turns messages into bytes and bytes into messages. Both sides accept sync and async sources and
 * are used as it-pipe transforms: `pipe(messages, codec.encode, conn)`.
 *
 * Only `encode` and `decode` are required, so any pair of transforms is a codec. The built-in codecs
 * also carry `kind`, `createDecoder` and `encodeFrame`, which `framed()` uses to read and write one
 * message at a time and to hand back unconsumed bytes (`unwrap()`).
 */
export interface Codec<T> {
  /** Encodes each message into one chunk (never split across chunks). */
  encode: (source: Source<T>) => AsyncGenerator<Uint8Array | Uint8ArrayList>
  /** Decodes a byte stream, in chunks of any size, into messages. */
  decode: (source: Source<Uint8Array | Uint8ArrayList>) => AsyncGenerator<T>
  /** What the messages are, for callers that must build them (a CLI reading stdin). */
  readonly kind?: CodecKind
  /** Creates the synchronous decoding step `decode` is driven by. */
  createDecoder?: () => FrameDecoder<T>
  /** Encodes one message; `encode` applies it to each message. */
  encodeFrame?: (message: T) => Uint8Array | Uint8ArrayList
}

/** `'bytes'`: messages are `Uint8Array`; `'text'`: strings; `'json'`: JSON values; `'resp'`: `RespValue`s. */
export type CodecKind = 'bytes' | 'text' | 'json' | 'resp'

/** A codec whose messages are bytes: `lengthPrefixed()`, `delimited()`, `fixed()`, `raw()`. */
export interface ByteCodec extends Codec<Uint8Array> {
  readonly kind: 'bytes'
}

/** A codec whose messages are strings: `lines()`, `text(codec)`. */
export interface TextCodec extends Codec<string> {
  readonly kind: 'text'
}

/** A codec whose messages are JSON values: `json(codec)`. */
export interface JsonCodec<T = unknown> extends Codec<T> {
  readonly kind: 'json'
}

/** Any built-in codec; switch on `kind` to know the message type (what `codec(spec)` returns). */
export type AnyCodec = ByteCodec | TextCodec | JsonCodec

/**
 * The synchronous core of a decoder (tokio's `Decoder::decode` / `decode_eof`), with no I/O:
 *
 * ```ts
 * decoder.push(chunk)
 * for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) use(frame)
 * // ...more chunks...
 * const last = decoder.end()
 * ```
 *
 * `next()` scans forward from where it stopped, so each byte is looked at once; it returns one frame
 * at a time rather than all frames of a chunk so that `take()` can hand back exactly the bytes after
 * the last frame returned (the next protocol may start in the same chunk). Frames wholly inside one
 * chunk are `subarray`s of it (valid until the caller mutates the chunk); frames spanning chunks are
 * copied once into a buffer of their exact size. `T` must not include `undefined`.
 */
export interface FrameDecoder<T> {
  /** Gives the decoder the next chunk. Call only after `next()` returned `undefined`. */
  push(chunk: Uint8Array): void
  /** Returns the next whole frame, or `undefined` when the rest is incomplete (then kept, bounded). */
  next(): T | undefined
  /**
   * End of stream: returns a final frame, or `undefined` when none is pending; throws
   * `UnexpectedEndError` when the codec cannot end where it stands. Call once, after `next()`
   * returned `undefined`.
   */
  end(): T | undefined
  /** Returns every byte pushed but not part of a returned frame, in order, and forgets them. */
  take(): Uint8Array[]
}
