import type { Source } from 'it-stream-types'
import { BatchedItems, type BatchGenerator, batchesOf, type Stage } from '../batches.js'
import { utf8Decoder, utf8Encoder } from './utf8.js'

/** Options of `until()`. */
export interface UntilOptions {
  /**
   * Whether the terminating message is passed on before the stream ends.
   * @default true
   */
  inclusive?: boolean
}

/**
 * A transform that passes messages through and ends at the first one equal to `terminator` (a string,
 * or bytes, compared by content: `'quit'` also matches the bytes of `quit` in UTF-8, and the other way
 * round), or for which `terminator`, a predicate, returns `true`.
 *
 * It stops pulling at once: upstream's `return()` is called (a `finally` in an upstream generator
 * runs) before the terminator is passed on, so the rest of the pipe can finish while upstream (say, a
 * connection's source) is left unread. Messages after the terminator are not read.
 *
 * ```ts
 * await pipe(conn.source, lines().decode, until('QUIT'), handle)
 * ```
 *
 * A string or bytes terminator fits a pipe of strings or of bytes alike, so swapping the codec is
 * one word: `pipe(conn, lp.decode, until('bye'), lp.encode, conn)` works with `lines()` in place of
 * `lp`. it-pipe's types cannot carry a generic transform's type through a pipe, so the message type
 * is `any` unless named: `until<string>('bye')`.
 *
 * @throws {TypeError} at once, when `terminator` is not a string, a `Uint8Array` or a function
 */
// biome-ignore lint/suspicious/noExplicitAny: the default lets one until('bye') fit string and byte pipes
export function until<T extends string | Uint8Array = any>(
  terminator: string | Uint8Array,
  options?: UntilOptions,
): (source: Source<T>) => AsyncGenerator<T>
export function until<T>(
  predicate: (message: T) => boolean,
  options?: UntilOptions,
): (source: Source<T>) => AsyncGenerator<T>
export function until(
  terminator: string | Uint8Array | ((message: never) => boolean),
  options: UntilOptions = {},
): (source: Source<never>) => AsyncGenerator<unknown> {
  const inclusive = options.inclusive ?? true
  const matches = matcher(terminator)
  return (source) => new Until(source, matches, inclusive)
}

/** The output of `until()`: messages up to the terminator, offered in batches and as a synchronous stage. */
class Until<T> extends BatchedItems<T> {
  constructor(
    private readonly source: Source<T>,
    private readonly matches: (message: unknown) => boolean,
    private readonly inclusive: boolean,
  ) {
    super()
  }

  protected override openBatches(): BatchGenerator<T> {
    return untilBatches(this.source, this.matches, this.inclusive)
  }

  protected override openStage(): Stage<T, T> {
    return new UntilStage(this.source, this.matches, this.inclusive)
  }
}

/** `until()`'s synchronous step: the messages of a batch up to the terminator; done once it is seen. */
class UntilStage<T> implements Stage<T, T> {
  constructor(
    readonly source: Source<T>,
    private readonly matches: (message: unknown) => boolean,
    private readonly inclusive: boolean,
  ) {}

  step(messages: readonly T[], out: T[]): boolean {
    const at = messages.findIndex(this.matches)
    const end = at < 0 ? messages.length : this.inclusive ? at + 1 : at
    for (let i = 0; i < end; i++) out.push(messages[i] as T)
    return at >= 0
  }

  end(): void {}
}

/** Passes batches through until one holds the terminator; ends upstream, then yields what precedes it. */
async function* untilBatches<T>(
  source: Source<T>,
  matches: (message: unknown) => boolean,
  inclusive: boolean,
): BatchGenerator<T> {
  let last: readonly T[] | undefined
  // Asked for only once read: until then a consumer may still take the stages instead.
  for await (const batch of batchesOf(source)) {
    const at = batch.findIndex(matches)
    if (at >= 0) {
      last = batch.slice(0, inclusive ? at + 1 : at)
      break // calls upstream's return()
    }
    yield batch
  }
  if (last !== undefined && last.length > 0) yield last
}

function matcher(
  terminator: string | Uint8Array | ((message: never) => boolean),
): (message: unknown) => boolean {
  if (typeof terminator === 'function') {
    const predicate = terminator as (message: unknown) => boolean
    return (message) => predicate(message) === true
  }
  let string: string | undefined
  let bytes: Uint8Array
  if (typeof terminator === 'string') {
    string = terminator
    bytes = utf8Encoder.encode(terminator)
  } else if (terminator instanceof Uint8Array) {
    bytes = Uint8Array.from(terminator)
    try {
      string = utf8Decoder.decode(bytes)
    } catch {
      string = undefined // not UTF-8: no string equals it
    }
  } else {
    throw new TypeError(`terminator must be a string, a Uint8Array or a function, got ${typeof terminator}`)
  }
  return (message) => {
    if (typeof message === 'string') return message === string
    if (!(message instanceof Uint8Array) || message.length !== bytes.length) return false
    for (let i = 0; i < bytes.length; i++) if (message[i] !== bytes[i]) return false
    return true
  }
}
