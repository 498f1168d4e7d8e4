/**
 * The `Codec` contract shared by every framing codec, the synchronous `FrameDecoder` step the codecs
 * are built from, and the one generic driver that turns a step into an async `decode` transform.
 *
 * @module
 */

import type { Source } from 'it-stream-types'
import type { Uint8ArrayList } from 'uint8arraylist'
import { isUint8ArrayList } from 'uint8arraylist'
import { BatchedItems, type BatchGenerator, batchesOf, type Stage } from '../batches.js'
import { describeType } from '../describe.js'
import { InvalidFrameError } from '../errors.js'

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

/** `'bytes'`: messages are `Uint8Array`; `'text'`: strings; `'json'`: JSON values. */
export type CodecKind = 'bytes' | 'text' | 'json'

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

/** No bytes: what a decoder holds before its first chunk (shared, never written to). */
export const EMPTY_BYTES = new Uint8Array(0)

/** The UTF-8 decoder every text codec uses: fails on invalid bytes, keeps a leading BOM. */
export const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The UTF-8 encoder every text codec uses. */
export const utf8Encoder = new TextEncoder()

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
  for (const chunk of chunks) {
    if (chunk instanceof Uint8Array || !isUint8ArrayList(chunk)) {
      decoder.push(chunk)
      for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) out.push(frame)
    } else {
      // Feed the list's own buffers: `chunk.subarray()` would copy them into one.
      for (const buf of chunk) {
        decoder.push(buf)
        for (let frame = decoder.next(); frame !== undefined; frame = decoder.next()) out.push(frame)
      }
    }
  }
}

async function* decodeBatches<T>(
  decoder: FrameDecoder<T>,
  source: Source<Uint8Array | Uint8ArrayList>,
): BatchGenerator<T> {
  for await (const chunks of batchesOf(source)) {
    const frames: T[] = []
    try {
      decodeInto(decoder, chunks, frames)
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

/** Builds a codec from its two synchronous steps. */
export function defineCodec<K extends CodecKind, T>(
  kind: K,
  createDecoder: () => FrameDecoder<T>,
  encodeFrame: (message: T) => Uint8Array | Uint8ArrayList,
): Codec<T> & { readonly kind: K } {
  return {
    kind,
    encode: encodeWith(encodeFrame),
    decode: decodeWith(createDecoder),
    createDecoder,
    encodeFrame,
  }
}

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

/** `text` in UTF-8, followed by `suffix` if given (a newline). */
export function encodeUtf8(text: string, suffix?: number): Uint8Array {
  const extra = suffix === undefined ? 0 : 1
  const max = text.length * 3 + extra
  if (max > COPY_THRESHOLD)
    return utf8Encoder.encode(suffix === undefined ? text : text + String.fromCharCode(suffix))
  const { written } = utf8Encoder.encodeInto(text, reserve(max))
  if (suffix !== undefined) slab[slabOffset + written] = suffix
  return claim(written + extra)
}

/** Validates a `maxLength` option: a positive safe integer, at most `max`. */
export function checkMaxLength(value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') throw new TypeError(`maxLength must be a number, got ${typeof value}`)
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`maxLength must be an integer from 1 to ${max}, got ${value}`)
  }
  return value
}

/** Shows up to `max` bytes as hex for an error message, noting how many more there were. */
export function describeBytes(bytes: Uint8Array, max = 32): string {
  let hex = ''
  const n = Math.min(bytes.length, max)
  for (let i = 0; i < n; i++) hex += (i === 0 ? '' : ' ') + (bytes[i] as number).toString(16).padStart(2, '0')
  const more = bytes.length > max ? ` ... (${bytes.length} bytes)` : ''
  return `<${hex}${more}>`
}

/** Quotes up to `max` characters of a string for an error message. */
export function describeText(text: string, max = 64): string {
  const shown = text.length > max ? `${text.slice(0, max)}...` : text
  return `${JSON.stringify(shown)}${text.length > max ? ` (${text.length} characters)` : ''}`
}

/**
 * Fails with `TypeError` unless `message` is a `Uint8Array` (a `Buffer` is one): the check every byte
 * codec's `encodeFrame` starts with, one `instanceof` per message. Without it a string or another
 * typed array would be read through `length` and indexing, and written as zeros or truncated bytes.
 *
 * @param codec the codec's name as the caller wrote it, such as `'lengthPrefixed()'`
 */
export function checkBytes(message: unknown, codec: string): asserts message is Uint8Array {
  if (!(message instanceof Uint8Array)) throw notBytes(message, codec, false)
}

/**
 * As `checkBytes`, but a `Uint8ArrayList` passes too: for the codecs that pass each message on as it
 * is (`raw()`, `fixed()`), since every sink takes lists.
 */
export function checkChunk(message: unknown, codec: string): asserts message is Uint8Array | Uint8ArrayList {
  if (!(message instanceof Uint8Array) && !isUint8ArrayList(message)) throw notBytes(message, codec, true)
}

/** Fails with `TypeError` unless `message` is a string: the check of every text codec's `encodeFrame`. */
export function checkString(message: unknown, codec: string): asserts message is string {
  if (typeof message !== 'string') throw wrongMessageType(message, codec, 'strings')
}

/**
 * The `TypeError` for a message `codec` cannot encode, naming the codec, the value's type and what
 * its messages are: `lengthPrefixed(): cannot encode a string: messages are Uint8Array (use
 * text(lengthPrefixed()) for strings)`.
 */
export function wrongMessageType(value: unknown, codec: string, expected: string, hint?: string): TypeError {
  return new TypeError(
    `${codec}: cannot encode ${describeType(value)}: messages are ${expected}${hint === undefined ? '' : ` (${hint})`}`,
  )
}

/** The `TypeError` of `checkBytes` and `checkChunk`, with a hint for the usual mistakes. */
function notBytes(value: unknown, codec: string, lists: boolean): TypeError {
  let hint: string | undefined
  if (typeof value === 'string') hint = `use text(${codec}) for strings`
  else if (ArrayBuffer.isView(value)) {
    hint = 'view its bytes as new Uint8Array(view.buffer, view.byteOffset, view.byteLength)'
  } else if (value instanceof ArrayBuffer) hint = 'view it as new Uint8Array(buffer)'
  else if (isUint8ArrayList(value)) hint = 'join it with list.subarray()'
  return wrongMessageType(value, codec, lists ? 'Uint8Array or Uint8ArrayList' : 'Uint8Array', hint)
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

/** Decodes UTF-8, failing with `InvalidFrameError` that shows the bytes. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes)
  } catch (err) {
    throw new InvalidFrameError(`Cannot decode frame: invalid UTF-8 in ${describeBytes(bytes)}`, {
      cause: err,
    })
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
