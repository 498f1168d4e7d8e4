/**
 * `resp()`: Redis's serialization protocol, RESP2 and RESP3, as a codec of typed values.
 *
 * @module
 */

import type { Source } from 'it-stream-types'
import type { Uint8ArrayList } from 'uint8arraylist'
import { FrameTooLongError, InvalidFrameError, UnexpectedEndError } from '../errors.js'
import { RESP_MAX_BULK_LENGTH, RESP_MAX_DEPTH, RESP_MAX_ELEMENTS, RESP_MAX_LINE_LENGTH } from '../limits.js'
import { concat, EMPTY_BYTES, uninitialized } from './buffers.js'
import { checkMaxLength, wrongMessageType } from './checks.js'
import type { Codec, FrameDecoder } from './codec.js'
import { decodeWith } from './decode-with.js'
import { describeBytes } from './describe-frame.js'
import { encodeWith } from './encode-with.js'
import { decodeUtf8, utf8Encoder } from './utf8.js'

/**
 * One RESP value, tagged by `type` with the RESP type it is written as (docs/RESP.md has the table):
 * `simple` (`+`), `error` (`-`, or `!` when `bulk`), `integer` (`:`), `bulk` (`$`), `array` (`*`),
 * `null` (`$-1`, `*-1`, `_`), and RESP3's `boolean` (`#`), `double` (`,`), `bigNumber` (`(`),
 * `verbatim` (`=`), `map` (`%`), `set` (`~`), `push` (`>`) and `attribute` (`|`). An error reply is a
 * value like any other, never thrown.
 */
export type RespValue =
  | {
      /** The RESP type: `simple`. */
      readonly type: 'simple'
      /** The text after `+`. */
      readonly value: string
    }
  | RespError
  | {
      /** The RESP type: `integer`. */
      readonly type: 'integer'
      /** The integer after `:`: a `number`, or a `bigint` past ±2^53. */
      readonly value: number | bigint
    }
  | {
      /** The RESP type: `bulk`. */
      readonly type: 'bulk'
      /** The bytes of a bulk string (`$`), binary-safe. */
      readonly value: Uint8Array
    }
  | {
      /** The RESP type: `array`. */
      readonly type: 'array'
      /** The elements of an array (`*`). */
      readonly value: readonly RespValue[]
    }
  | {
      /** The RESP type: `null`. */
      readonly type: 'null'
    }
  | {
      /** The RESP type: `boolean`. */
      readonly type: 'boolean'
      /** RESP3 `#t` or `#f`. */
      readonly value: boolean
    }
  | {
      /** The RESP type: `double`. */
      readonly type: 'double'
      /** A RESP3 double (`,`), `inf`, `-inf` and `nan` included. */
      readonly value: number
    }
  | {
      /** The RESP type: `bigNumber`. */
      readonly type: 'bigNumber'
      /** A RESP3 big number (`(`). */
      readonly value: bigint
    }
  | {
      /** The RESP type: `verbatim`. */
      readonly type: 'verbatim'
      /** Its three-letter format: `txt`, `mkd`. */
      readonly format: string
      /** The text of a RESP3 verbatim string (`=`), after its format. */
      readonly value: string
    }
  | {
      /** The RESP type: `map`. */
      readonly type: 'map'
      /** The entries of a RESP3 map (`%`), in wire order. */
      readonly value: readonly RespPair[]
    }
  | {
      /** The RESP type: `set`. */
      readonly type: 'set'
      /** The members of a RESP3 set (`~`). */
      readonly value: readonly RespValue[]
    }
  | {
      /** The RESP type: `push`. */
      readonly type: 'push'
      /** The elements of a RESP3 push (`>`), out-of-band data such as pub/sub messages. */
      readonly value: readonly RespValue[]
    }
  | {
      /** The RESP type: `attribute`. */
      readonly type: 'attribute'
      /** The attribute's entries, key then value. */
      readonly attributes: readonly RespPair[]
      /** The value the RESP3 attribute (`|`) annotates. */
      readonly value: RespValue
    }

/**
 * A map entry, key then value. Maps decode to arrays of pairs, not a JS `Map`: their keys are RESP
 * values (objects, which a `Map` compares by identity), and the wire's order and duplicates are kept.
 */
export type RespPair = readonly [key: RespValue, value: RespValue]

/**
 * An error reply (`-ERR unknown command`, or RESP3's bulk error `!` when `bulk`): decoded as a value,
 * never thrown. `message` is the whole line, its first word the error code (`ERR`, `WRONGTYPE`).
 */
export interface RespError {
  /** Tells an error from the other RESP values. */
  readonly type: 'error'
  /** The error text after the type byte, its code first: `ERR unknown command 'FOO'`. */
  readonly message: string
  /** Whether it is written as a RESP3 bulk error (`!`, binary-safe) rather than a simple one (`-`). */
  readonly bulk?: boolean
}

/**
 * A command as clients send it: an array of bulk strings. Strings are written as their UTF-8 bytes,
 * numbers and bigints as their decimal text, `Uint8Array`s as they are.
 */
export type RespCommand = readonly (string | Uint8Array | number | bigint)[]

/** Options of `resp()`. */
export interface RespOptions {
  /**
   * Largest bulk string, bulk error or verbatim string, in bytes, decoded or encoded. A header
   * announcing more fails with `FrameTooLongError` before any of it is buffered.
   * @default RESP_MAX_BULK_LENGTH (64 MiB)
   */
  maxBulkLength?: number
  /**
   * Largest line (a simple string, simple error, number, or a type header), in bytes without its CRLF.
   * A line growing past it fails without buffering more.
   * @default RESP_MAX_LINE_LENGTH (64 KiB)
   */
  maxLineLength?: number
  /**
   * Deepest nesting of aggregates (arrays, maps, sets, pushes, attributes) in one reply; a top-level
   * array is depth 1.
   * @default RESP_MAX_DEPTH (128)
   */
  maxDepth?: number
  /**
   * Most elements one aggregate header may announce (entries for maps and attributes).
   * @default RESP_MAX_ELEMENTS (1,048,576)
   */
  maxElements?: number
  /**
   * How `encode` writes `null`: `2` as RESP2's null bulk string `$-1\r\n`, which RESP2 and RESP3
   * clients both read; `3` as RESP3's `_\r\n`. With `2`, encoding a RESP3-only type fails with
   * `TypeError`. Decoding reads both protocols either way.
   * @default 2
   */
  protocol?: 2 | 3
}

/**
 * A RESP codec: decodes `RespValue`s; encodes `RespValue`s and, for clients, `RespCommand`s (plain
 * arrays: `['SET', 'k', bytes]` is written `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n…`).
 */
export interface RespCodec extends Codec<RespValue> {
  /** Always `'resp'`: messages are `RespValue`s. */
  readonly kind: 'resp'
  /** Encodes each value or command into one chunk. */
  encode: (source: Source<RespValue | RespCommand>) => AsyncGenerator<Uint8Array | Uint8ArrayList>
  /** Encodes one value or command. */
  encodeFrame: (message: RespValue | RespCommand) => Uint8Array
  /** Creates the synchronous decoding step. */
  createDecoder: () => FrameDecoder<RespValue>
}

/**
 * The RESP value of a command: an array of bulk strings, for `framed(conn, resp()).request()`, whose
 * messages are `RespValue`s (`encode` takes a plain `RespCommand` array as well).
 *
 * @throws {TypeError} for an argument that is not a string, number, bigint or `Uint8Array`
 */
export function respCommand(...args: RespCommand): RespValue {
  return { type: 'array', value: args.map((arg) => ({ type: 'bulk', value: argBytes(arg) })) }
}

/**
 * A codec for Redis's protocol, RESP2 and RESP3 (https://redis.io/docs/latest/develop/reference/protocol-spec/):
 * each message is one whole value (a reply, a command, a push). Decoding is incremental: a value
 * spanning chunks is resumed where it stopped, with a stack of the aggregates in progress. Bulk
 * strings that lie in one chunk are `subarray`s of it; those spanning chunks are copied once into a
 * buffer of their announced size. The stream must end between values.
 *
 * @throws {TypeError | RangeError} at once, for a bad option
 * @throws {TypeError} (from `encode`) for a message that is not a `RespValue` or `RespCommand`, or
 *   with `protocol: 2`, a RESP3-only value
 * @throws {InvalidFrameError} for malformed input (an unknown type byte, `:abc`, a negative length
 *   other than -1, a line or bulk string not ended by CRLF, invalid UTF-8 in a simple string); from
 *   `encode`, for a simple string or error containing CR or LF, or a verbatim format not 3 bytes
 * @throws {FrameTooLongError} when a bulk length, a line, the nesting depth or an element count
 *   exceeds its limit; checked on the header, before anything is buffered
 * @throws {UnexpectedEndError} when the stream ends inside a value
 */
export function resp(options: RespOptions = {}): RespCodec {
  const limits: RespLimits = {
    maxBulkLength: checkLimit('maxBulkLength', options.maxBulkLength, RESP_MAX_BULK_LENGTH),
    maxLineLength: checkLimit('maxLineLength', options.maxLineLength, RESP_MAX_LINE_LENGTH),
    maxDepth: checkLimit('maxDepth', options.maxDepth, RESP_MAX_DEPTH),
    maxElements: checkLimit('maxElements', options.maxElements, RESP_MAX_ELEMENTS),
  }
  const protocol = options.protocol ?? 2
  if (protocol !== 2 && protocol !== 3)
    throw new RangeError(`protocol must be 2 or 3, got ${String(protocol)}`)
  const createDecoder = (): FrameDecoder<RespValue> => new RespDecoder(limits)
  const encodeFrame = (message: RespValue | RespCommand): Uint8Array => {
    const writer = new Writer(limits.maxBulkLength, protocol === 3)
    if (Array.isArray(message)) writer.command(message as RespCommand)
    else writer.value(message as RespValue, 0)
    return writer.finish()
  }
  return {
    kind: 'resp',
    encode: encodeWith(encodeFrame),
    decode: decodeWith(createDecoder),
    createDecoder,
    encodeFrame,
  }
}

/** The limits a decoder checks, each validated. */
interface RespLimits {
  readonly maxBulkLength: number
  readonly maxLineLength: number
  readonly maxDepth: number
  readonly maxElements: number
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  return checkMaxLength(value, fallback, Number.MAX_SAFE_INTEGER, name)
}

// ---------------------------------------------------------------------------------------------
// Encoding

const CR = 13
const LF = 10

/** RESP3-only types, refused when encoding for protocol 2. */
const RESP3_ONLY = new Set(['boolean', 'double', 'bigNumber', 'verbatim', 'map', 'set', 'push', 'attribute'])

/** Bytes of a `RespCommand` argument. */
function argBytes(arg: unknown): Uint8Array {
  if (arg instanceof Uint8Array) return arg
  if (typeof arg === 'string') return utf8Encoder.encode(arg)
  if (typeof arg === 'number' || typeof arg === 'bigint') return utf8Encoder.encode(String(arg))
  throw wrongMessageType(
    arg,
    'resp()',
    'RESP values or commands',
    'command arguments are strings, numbers or Uint8Array',
  )
}

/**
 * Builds one encoded message: ASCII headers are gathered in a string and flushed as bytes before each
 * binary payload, then all parts are joined into one buffer of the exact size.
 */
class Writer {
  private readonly parts: Uint8Array[] = []
  private size = 0
  private head = ''

  constructor(
    private readonly maxBulkLength: number,
    private readonly resp3: boolean,
  ) {}

  finish(): Uint8Array {
    this.flush()
    const parts = this.parts
    return parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts, this.size)
  }

  command(args: RespCommand): void {
    this.head += `*${args.length}\r\n`
    for (const arg of args) this.bulk('$', argBytes(arg))
  }

  value(value: RespValue, depth: number): void {
    if (typeof value !== 'object' || value === null || typeof value.type !== 'string') {
      throw wrongMessageType(value, 'resp()', 'RESP values or commands', 'a value is { type, value }')
    }
    if (!this.resp3 && RESP3_ONLY.has(value.type)) {
      throw new TypeError(`resp(): cannot encode a ${value.type}: RESP3 only (use resp({ protocol: 3 }))`)
    }
    switch (value.type) {
      case 'simple':
        this.line('+', value.value)
        return
      case 'error':
        if (value.bulk === true) this.bulk('!', utf8Encoder.encode(value.message))
        else this.line('-', value.message)
        return
      case 'integer':
        this.head += `:${integerText(value.value)}\r\n`
        return
      case 'bulk':
        if (!(value.value instanceof Uint8Array))
          throw wrongMessageType(value.value, 'resp()', 'Uint8Array in a bulk string')
        this.bulk('$', value.value)
        return
      case 'null':
        this.head += this.resp3 ? '_\r\n' : '$-1\r\n'
        return
      case 'boolean':
        this.head += value.value ? '#t\r\n' : '#f\r\n'
        return
      case 'double':
        this.head += `,${doubleText(value.value)}\r\n`
        return
      case 'bigNumber':
        this.head += `(${integerText(value.value)}\r\n`
        return
      case 'verbatim': {
        const format = value.format
        if (!/^[\x21-\x39\x3b-\x7e]{3}$/.test(format)) {
          throw new InvalidFrameError(
            `Cannot encode RESP: verbatim format must be 3 characters, got ${JSON.stringify(format)}`,
          )
        }
        this.bulk('=', utf8Encoder.encode(`${format}:${value.value}`))
        return
      }
      case 'array':
        this.aggregate('*', value.value, depth)
        return
      case 'set':
        this.aggregate('~', value.value, depth)
        return
      case 'push':
        this.aggregate('>', value.value, depth)
        return
      case 'map':
        this.pairs('%', value.value, depth)
        return
      case 'attribute':
        this.pairs('|', value.attributes, depth)
        this.value(value.value, depth)
        return
      default:
        throw wrongMessageType(
          value,
          'resp()',
          'RESP values or commands',
          `unknown type ${JSON.stringify((value as { type: string }).type)}`,
        )
    }
  }

  private aggregate(marker: string, items: readonly RespValue[], depth: number): void {
    this.head += `${marker}${items.length}\r\n`
    for (const item of items) this.value(item, depth + 1)
  }

  private pairs(marker: string, pairs: readonly RespPair[], depth: number): void {
    this.head += `${marker}${pairs.length}\r\n`
    for (const [key, value] of pairs) {
      this.value(key, depth + 1)
      this.value(value, depth + 1)
    }
  }

  private line(marker: string, text: string): void {
    if (text.includes('\r') || text.includes('\n')) {
      throw new InvalidFrameError(
        `Cannot encode RESP: a ${marker === '+' ? 'simple string' : 'simple error'} cannot contain CR or LF`,
      )
    }
    this.flush()
    this.push(utf8Encoder.encode(`${marker}${text}\r\n`))
  }

  private bulk(marker: string, payload: Uint8Array): void {
    if (payload.length > this.maxBulkLength) {
      throw new FrameTooLongError(
        `Cannot encode RESP: bulk length ${payload.length} exceeds maxBulkLength ${this.maxBulkLength}`,
      )
    }
    this.head += `${marker}${payload.length}\r\n`
    this.flush()
    this.push(payload)
    this.head = '\r\n'
  }

  private flush(): void {
    if (this.head === '') return
    this.push(Buffer.from(this.head, 'latin1'))
    this.head = ''
  }

  private push(part: Uint8Array): void {
    this.parts.push(part)
    this.size += part.length
  }
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function integerText(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new TypeError(`resp(): cannot encode ${value} as an integer: not a safe integer (use a bigint)`)
    return String(value)
  }
  if (typeof value === 'bigint') return value.toString()
  throw wrongMessageType(value, 'resp()', 'numbers or bigints in an integer')
}

function doubleText(value: number): string {
  if (typeof value !== 'number') throw wrongMessageType(value, 'resp()', 'numbers in a double')
  if (Number.isNaN(value)) return 'nan'
  if (value === Infinity) return 'inf'
  if (value === -Infinity) return '-inf'
  if (Object.is(value, -0)) return '-0'
  return String(value)
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** What the decoder is reading: the next line, or a bulk payload (then its CRLF). */
const LINE = 0
const PAYLOAD = 1
const PAYLOAD_CR = 2
const PAYLOAD_LF = 3

/** An aggregate being filled: its type byte, the items so far, how many are still to come. */
interface Open {
  readonly marker: number
  readonly items: RespValue[]
  remaining: number
  /** For `|` wrappers: the attributes waiting for the value they annotate. */
  readonly attributes?: RespPair[]
}

const WRAP = 0 // marker of the frame holding the value an attribute annotates

/** The decoding step of `resp()`. */
export class RespDecoder implements FrameDecoder<RespValue> {
  private buf: Uint8Array = EMPTY_BYTES
  private pos = 0
  /** Bytes of an unfinished line from earlier chunks (copies, at most `maxLineLength` + 2). */
  private carry: Uint8Array[] = []
  private carryLength = 0
  private state = LINE
  /** The bulk payload being filled across chunks, with its type byte. */
  private payload: Uint8Array = EMPTY_BYTES
  private payloadMarker = 0
  private filled = 0
  /** The aggregates in progress, outermost first. */
  private readonly stack: Open[] = []

  /** @param limits the limits to check, validated */
  constructor(private readonly limits: RespLimits) {}

  push(chunk: Uint8Array): void {
    if (this.carryLength > 0 && this.state === LINE) {
      const lf = chunk.indexOf(LF)
      if (lf < 0) {
        this.carryLength += chunk.length
        this.checkLine(this.carryLength - 1)
        this.carry.push(chunk.slice())
        this.buf = EMPTY_BYTES
        this.pos = 0
        return
      }
      this.carry.push(chunk)
      this.buf = concat(this.carry, this.carryLength + chunk.length)
      this.carry = []
      this.carryLength = 0
    } else this.buf = chunk
    this.pos = 0
  }

  next(): RespValue | undefined {
    for (;;) {
      const value = this.state === LINE ? this.readLine() : this.readPayload()
      if (value === undefined) return undefined
      const done = this.complete(value)
      if (done !== undefined) return done
    }
  }

  /** Adds a finished value to the aggregate in progress; returns it when it is a whole message. */
  private complete(value: RespValue | null): RespValue | undefined {
    let done: RespValue | null = value
    const stack = this.stack
    for (;;) {
      if (done === null) return undefined // an aggregate was opened
      const top = stack[stack.length - 1]
      if (top === undefined) return done
      top.items.push(done)
      if (--top.remaining > 0) return undefined
      stack.pop()
      done = this.close(top)
    }
  }

  /** The value of a filled aggregate, or `null` when it opened a wrapper (an attribute's). */
  private close(open: Open): RespValue | null {
    const items = open.items
    switch (open.marker) {
      case 0x2a: // *
        return { type: 'array', value: items }
      case 0x7e: // ~
        return { type: 'set', value: items }
      case 0x3e: // >
        return { type: 'push', value: items }
      case 0x25: // %
        return { type: 'map', value: pairsOf(items) }
      case 0x7c: // |: now read the value it annotates (one more level, already counted)
        this.stack.push({ marker: WRAP, items: [], remaining: 1, attributes: pairsOf(items) })
        return null
      default:
        return { type: 'attribute', attributes: open.attributes ?? [], value: items[0] as RespValue }
    }
  }

  /**
   * Reads one line and what it stands for: a value (`null` when it opened an aggregate or a bulk
   * payload), or `undefined` when the line is incomplete.
   */
  private readLine(): RespValue | null | undefined {
    const buf = this.buf
    const start = this.pos
    const end = buf.length
    if (start >= end) {
      this.buf = EMPTY_BYTES
      this.pos = 0
      return undefined
    }
    const lf = buf.indexOf(LF, start)
    if (lf < 0) {
      this.checkLine(end - start - 1)
      this.carry.push(buf.slice(start))
      this.carryLength = end - start
      this.buf = EMPTY_BYTES
      this.pos = 0
      return undefined
    }
    const stop = lf - 1 // index of the CR
    this.checkLine(stop - start - 1)
    if (stop <= start || buf[stop] !== CR) throw this.malformed(buf, start, lf + 1, 'line not ended by CRLF')
    this.pos = lf + 1
    const marker = buf[start] as number
    switch (marker) {
      case 0x2b: // + simple string
        return { type: 'simple', value: text(buf, start + 1, stop) }
      case 0x2d: // - simple error
        return { type: 'error', message: text(buf, start + 1, stop) }
      case 0x3a: // : integer
        return { type: 'integer', value: this.integer(buf, start, stop) }
      case 0x24: // $ bulk string
      case 0x21: // ! bulk error
      case 0x3d: // = verbatim string
        return this.openBulk(marker, buf, start, stop)
      case 0x2a: // * array
      case 0x7e: // ~ set
      case 0x3e: // > push
      case 0x25: // % map
      case 0x7c: // | attribute
        return this.openAggregate(marker, buf, start, stop)
      case 0x5f: // _ null
        if (stop !== start + 1) throw this.malformed(buf, start, lf + 1, 'null with a value')
        return NULL
      case 0x23: // # boolean
        if (stop === start + 2 && buf[start + 1] === 0x74) return TRUE
        if (stop === start + 2 && buf[start + 1] === 0x66) return FALSE
        throw this.malformed(buf, start, lf + 1, 'boolean not t or f')
      case 0x2c: // , double
        return { type: 'double', value: this.double(buf, start, stop) }
      case 0x28: {
        // ( big number
        const digits = latin1(buf, start + 1, stop)
        if (!/^[+-]?\d+$/.test(digits)) throw this.malformed(buf, start, lf + 1, 'big number not an integer')
        return { type: 'bigNumber', value: BigInt(digits) }
      }
      default:
        throw this.malformed(
          buf,
          start,
          lf + 1,
          `unknown type byte 0x${marker.toString(16).padStart(2, '0')}`,
        )
    }
  }

  /** Parses `:`'s signed 64-bit integer: a `number` when safe, a `bigint` otherwise. */
  private integer(buf: Uint8Array, start: number, stop: number): number | bigint {
    let i = start + 1
    let negative = false
    const sign = buf[i]
    if (sign === 0x2d || sign === 0x2b) {
      negative = sign === 0x2d
      i++
    }
    if (i === stop) throw this.malformed(buf, start, stop + 2, 'integer without digits')
    if (stop - i > 15) {
      for (let j = i; j < stop; j++) {
        const d = buf[j] as number
        if (d < 0x30 || d > 0x39) throw this.malformed(buf, start, stop + 2, 'integer not decimal digits')
      }
      const big = BigInt(latin1(buf, start + 1, stop))
      if (big < INT64_MIN || big > INT64_MAX)
        throw this.malformed(buf, start, stop + 2, 'integer out of 64-bit range')
      const n = Number(big)
      return Number.isSafeInteger(n) ? n : big
    }
    let n = 0
    for (; i < stop; i++) {
      const d = (buf[i] as number) - 0x30
      if (d < 0 || d > 9) throw this.malformed(buf, start, stop + 2, 'integer not decimal digits')
      n = n * 10 + d
    }
    return negative ? -n : n
  }

  /** Parses a length (`$`, `*` …): digits, or -1 for null; returns -1 for null. */
  private length(buf: Uint8Array, start: number, stop: number): number {
    let i = start + 1
    if (buf[i] === 0x2d) {
      if (stop === i + 2 && buf[i + 1] === 0x31) return -1
      throw this.malformed(buf, start, stop + 2, 'negative length other than -1')
    }
    if (i === stop) throw this.malformed(buf, start, stop + 2, 'length without digits')
    if (stop - i > 15) throw this.malformed(buf, start, stop + 2, 'length too long')
    let n = 0
    for (; i < stop; i++) {
      const d = (buf[i] as number) - 0x30
      if (d < 0 || d > 9) throw this.malformed(buf, start, stop + 2, 'length not decimal digits')
      n = n * 10 + d
    }
    return n
  }

  private double(buf: Uint8Array, start: number, stop: number): number {
    const s = latin1(buf, start + 1, stop)
    if (s === 'inf' || s === '+inf') return Infinity
    if (s === '-inf') return -Infinity
    if (s === 'nan' || s === '-nan') return Number.NaN
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s))
      throw this.malformed(buf, start, stop + 2, 'double not a number')
    return Number(s)
  }

  private openBulk(marker: number, buf: Uint8Array, start: number, stop: number): RespValue | undefined {
    const length = this.length(buf, start, stop)
    if (length < 0) {
      if (marker === 0x24) return NULL
      throw this.malformed(buf, start, stop + 2, 'negative length other than -1')
    }
    if (length > this.limits.maxBulkLength) {
      throw new FrameTooLongError(
        `Cannot decode RESP: bulk length ${length} exceeds maxBulkLength ${this.limits.maxBulkLength}`,
      )
    }
    const from = this.pos
    this.payloadMarker = marker
    if (buf.length - from >= length + 2) {
      if (buf[from + length] !== CR || buf[from + length + 1] !== LF) {
        throw this.malformed(buf, from + length, from + length + 2, 'bulk string not followed by CRLF')
      }
      this.pos = from + length + 2
      return bulkValue(marker, buf.subarray(from, from + length))
    }
    const n = Math.min(length, buf.length - from)
    this.payload = uninitialized(length)
    this.payload.set(buf.subarray(from, from + n))
    this.filled = n
    this.pos = from + n
    this.state = PAYLOAD
    return this.readPayload()
  }

  /** Continues a bulk payload spanning chunks, then its CRLF. */
  private readPayload(): RespValue | undefined {
    const buf = this.buf
    let pos = this.pos
    const end = buf.length
    if (this.state === PAYLOAD) {
      const payload = this.payload
      const n = Math.min(payload.length - this.filled, end - pos)
      payload.set(buf.subarray(pos, pos + n), this.filled)
      this.filled += n
      pos += n
      if (this.filled === payload.length) this.state = PAYLOAD_CR
    }
    if (this.state === PAYLOAD_CR && pos < end) {
      if (buf[pos] !== CR) throw this.malformed(buf, pos, pos + 1, 'bulk string not followed by CRLF')
      pos++
      this.state = PAYLOAD_LF
    }
    if (this.state === PAYLOAD_LF && pos < end) {
      if (buf[pos] !== LF) throw this.malformed(buf, pos, pos + 1, 'bulk string not followed by CRLF')
      pos++
      this.state = LINE
    }
    this.pos = pos
    if (this.state !== LINE) {
      if (pos >= end) {
        this.buf = EMPTY_BYTES
        this.pos = 0
      }
      return undefined
    }
    const payload = this.payload
    this.payload = EMPTY_BYTES
    return bulkValue(this.payloadMarker, payload)
  }

  private openAggregate(marker: number, buf: Uint8Array, start: number, stop: number): RespValue | null {
    const length = this.length(buf, start, stop)
    if (length < 0) {
      if (marker === 0x2a) return NULL
      throw this.malformed(buf, start, stop + 2, 'negative length other than -1')
    }
    const { maxElements, maxDepth } = this.limits
    if (length > maxElements) {
      throw new FrameTooLongError(
        `Cannot decode RESP: aggregate of ${length} elements exceeds maxElements ${maxElements}`,
      )
    }
    if (this.stack.length + 1 > maxDepth) {
      throw new FrameTooLongError(
        `Cannot decode RESP: nesting depth ${this.stack.length + 1} exceeds maxDepth ${maxDepth}`,
      )
    }
    const count = marker === 0x25 || marker === 0x7c ? length * 2 : length
    if (count === 0) {
      if (marker === 0x7c) {
        this.stack.push({ marker: WRAP, items: [], remaining: 1, attributes: [] })
        return null
      }
      return this.close({ marker, items: [], remaining: 0 })
    }
    this.stack.push({ marker, items: [], remaining: count })
    return null
  }

  private checkLine(length: number): void {
    if (length > this.limits.maxLineLength) {
      throw new FrameTooLongError(
        `Cannot decode RESP: line of ${length}+ bytes exceeds maxLineLength ${this.limits.maxLineLength}`,
      )
    }
  }

  private malformed(buf: Uint8Array, start: number, end: number, what: string): InvalidFrameError {
    return new InvalidFrameError(
      `Cannot decode RESP: ${what} in ${describeBytes(buf.subarray(start, Math.min(end, buf.length)))}`,
    )
  }

  end(): undefined {
    if (this.carryLength > 0 || (this.state === LINE && this.pos < this.buf.length)) {
      throw new UnexpectedEndError(
        `Cannot decode RESP: stream ended inside a line (${this.carryLength + this.buf.length - this.pos} bytes)`,
      )
    }
    if (this.state !== LINE) {
      throw new UnexpectedEndError(
        `Cannot decode RESP: stream ended inside a bulk string (${this.filled} of ${this.payload.length} bytes)`,
      )
    }
    if (this.stack.length > 0) {
      const top = this.stack[this.stack.length - 1] as Open
      throw new UnexpectedEndError(
        `Cannot decode RESP: stream ended inside an aggregate (${top.remaining} more elements expected, depth ${this.stack.length})`,
      )
    }
    return undefined
  }

  /**
   * Returns the bytes not yet decoded. Between values that is exact; in the middle of a value (an
   * aggregate or bulk string in progress) the decoded part is gone, so this fails.
   *
   * @throws {InvalidFrameError} when called in the middle of a value
   */
  take(): Uint8Array[] {
    if (this.stack.length > 0 || this.state !== LINE) {
      throw new InvalidFrameError('Cannot hand back RESP bytes in the middle of a value')
    }
    const out = this.carry
    if (this.pos < this.buf.length) out.push(this.buf.subarray(this.pos))
    this.carry = []
    this.carryLength = 0
    this.buf = EMPTY_BYTES
    this.pos = 0
    return out
  }
}

const NULL: RespValue = Object.freeze({ type: 'null' })
const TRUE: RespValue = Object.freeze({ type: 'boolean', value: true })
const FALSE: RespValue = Object.freeze({ type: 'boolean', value: false })

function bulkValue(marker: number, bytes: Uint8Array): RespValue {
  if (marker === 0x24) return { type: 'bulk', value: bytes }
  if (marker === 0x21) return { type: 'error', message: decodeUtf8(bytes), bulk: true }
  if (bytes.length < 4 || bytes[3] !== 0x3a) {
    throw new InvalidFrameError(
      `Cannot decode RESP: verbatim string without a 3-byte format in ${describeBytes(bytes)}`,
    )
  }
  return { type: 'verbatim', format: latin1(bytes, 0, 3), value: decodeUtf8(bytes.subarray(4)) }
}

function pairsOf(items: RespValue[]): RespPair[] {
  const out: RespPair[] = []
  for (let i = 0; i < items.length; i += 2) out.push([items[i] as RespValue, items[i + 1] as RespValue])
  return out
}

/** ASCII bytes as a string, without TextDecoder's call overhead for short strings. */
function latin1(buf: Uint8Array, start: number, stop: number): string {
  let s = ''
  for (let i = start; i < stop; i++) s += String.fromCharCode(buf[i] as number)
  return s
}

/** A simple string or error: UTF-8, with a fast path for short ASCII. */
function text(buf: Uint8Array, start: number, stop: number): string {
  if (stop - start <= 16) {
    let s = ''
    for (let i = start; i < stop; i++) {
      const c = buf[i] as number
      if (c >= 0x80) return decodeUtf8(buf.subarray(start, stop))
      s += String.fromCharCode(c)
    }
    return s
  }
  return decodeUtf8(buf.subarray(start, stop))
}
