/**
 * `fromWebStreams()`: a WHATWG `ReadableStream` / `WritableStream` pair (a `Deno.Conn`, a
 * Cloudflare-style `connect()` socket, `toWebStreams()`'s result, a `TransformStream`) as a byte
 * duplex every codec, `pipe()` and `framed()` accept. Uses only the web stream globals.
 *
 * @module
 */
import type { Source } from 'it-stream-types'
import { isUint8ArrayList, type Uint8ArrayList } from 'uint8arraylist'
import { describeType, describeValue } from '../describe.js'
import { AbortError, ReadInUseError, SinkInUseError } from '../errors.js'
import { DONE, LeavableSource } from '../leavable-source.js'

/** What {@link fromWebStreams} takes: the two directions of a byte connection as web streams. */
export interface WebStreamPair {
  /** The bytes received. Chunks must be `Uint8Array`s. */
  readonly readable: ReadableStream<Uint8Array>
  /** Where the bytes written go. */
  readonly writable: WritableStream<Uint8Array>
}

/** The byte duplex {@link fromWebStreams} returns. */
export interface WebStreamDuplex {
  /**
   * The readable's chunks, as they come (empty ones skipped); ends when the readable ends, throws
   * its error. Leaving it early (`break`) cancels the readable: stop reading. Iterable once.
   */
  readonly source: AsyncGenerator<Uint8Array, void, undefined>
  /**
   * Writes every chunk of `source` to the writable, waiting on `writer.ready` before each
   * (backpressure); a `Uint8ArrayList` is written buffer by buffer, unjoined. When `source` ends,
   * closes the writable (half-close) and resolves once that is done. If `source` throws, or the
   * writable fails, aborts both directions with that error and rejects with it. Call once: a second
   * call rejects with `SinkInUseError`; a chunk that is not bytes rejects with `TypeError`.
   */
  readonly sink: (source: Source<Uint8Array | Uint8ArrayList>) => Promise<void>
  /**
   * Destroys both directions: aborts the writable and cancels the readable with `err` (an
   * `AbortError` when none is given); a pending or later read and write reject with it. Idempotent.
   */
  abort(err?: Error): void
}

/**
 * A pair of web streams as a byte duplex, so a `Deno.Conn`, a Cloudflare-style socket or any web
 * stream pair gets it-socket's codecs and `framed()`:
 *
 * ```ts
 * const f = framed(fromWebStreams(await Deno.connect({ port: 6379 })), lines())
 * const reply = await f.request('PING')
 * ```
 *
 * The close contract of docs/CLOSE.md, as far as web streams can carry it:
 *
 * | duplex action                  | web stream effect                                         |
 * | ------------------------------ | --------------------------------------------------------- |
 * | the sink's source ends         | `writer.close()` (half-close on a socket)                 |
 * | the sink's source throws       | `writer.abort(err)` and `reader.cancel(err)`; both fail   |
 * | `abort(err)`                   | the same                                                  |
 * | `source` left early (`break`)  | `reader.cancel()`: stop reading                           |
 * | the readable ends / errors     | `source` ends / throws that error                         |
 *
 * There is no `close()`: end the sink's source, and leave or drain `source`. Nothing is buffered
 * here: the streams' own high-water marks bound what is queued, and `writer.ready` paces the sink.
 * The streams are locked on first use (the readable by the first read, the writable by `sink()`).
 *
 * @throws {TypeError} at once, unless `streams` has a `readable` and a `writable` web stream
 */
export function fromWebStreams(streams: WebStreamPair): WebStreamDuplex {
  if (streams === null || typeof streams !== 'object') {
    throw new TypeError(
      `fromWebStreams(): streams must be an object with readable and writable, got ${describeValue(streams)}`,
    )
  }
  const { readable, writable } = streams
  if (readable === null || typeof readable !== 'object' || typeof readable.getReader !== 'function') {
    throw new TypeError(`fromWebStreams(): readable must be a ReadableStream, got ${describeValue(readable)}`)
  }
  if (writable === null || typeof writable !== 'object' || typeof writable.getWriter !== 'function') {
    throw new TypeError(`fromWebStreams(): writable must be a WritableStream, got ${describeValue(writable)}`)
  }
  return new WebDuplex(readable, writable)
}

const ignore = (): void => {}

class WebDuplex implements WebStreamDuplex {
  readonly source: AsyncGenerator<Uint8Array, void, undefined>
  readonly sink: (source: Source<Uint8Array | Uint8ArrayList>) => Promise<void>
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined
  /** The first error: both directions fail with it. */
  private error: Error | undefined
  private sourceDone = false
  private reading = false
  private sinkCalled = false

  constructor(
    private readonly readable: ReadableStream<Uint8Array>,
    private readonly writable: WritableStream<Uint8Array>,
  ) {
    this.source = new LeavableSource(this)
    this.sink = (source) => this.write(source)
  }

  abort(err?: Error): void {
    this.fail(err ?? new AbortError('fromWebStreams(): the duplex was aborted'))
  }

  /** The source's next chunk. */
  async read(): Promise<IteratorResult<Uint8Array, void>> {
    if (this.error !== undefined) {
      this.sourceDone = true
      throw this.error
    }
    if (this.sourceDone) return DONE
    if (this.reading) throw new ReadInUseError('fromWebStreams(): another read of the source is pending')
    this.reading = true
    try {
      this.reader ??= this.readable.getReader()
      for (;;) {
        const result = await this.reader.read()
        // abort() cancels the reader, which ends a pending read: the abort's error is the outcome.
        if (this.error !== undefined) throw this.error
        if (result.done === true) {
          this.sourceDone = true
          this.reader.releaseLock()
          return DONE
        }
        const value: unknown = result.value
        if (!(value instanceof Uint8Array)) {
          const err = new TypeError(
            `fromWebStreams(): the readable yielded ${describeType(value)}: a byte duplex needs Uint8Array chunks`,
          )
          this.fail(err)
          throw err
        }
        if (value.byteLength > 0) return { done: false, value }
      }
    } catch (err) {
      this.sourceDone = true
      throw err
    } finally {
      this.reading = false
    }
  }

  /** The source was left early: cancel the readable (stop reading). */
  leaveSource(): void {
    if (this.sourceDone) return
    this.sourceDone = true
    const cancelled = this.reader !== undefined ? this.reader.cancel() : this.readable.cancel()
    cancelled.catch(ignore)
  }

  private async write(source: Source<Uint8Array | Uint8ArrayList>): Promise<void> {
    if (this.sinkCalled) throw new SinkInUseError('fromWebStreams(): sink() was already called')
    this.sinkCalled = true
    if (this.error !== undefined) throw this.error
    const writer = this.writable.getWriter()
    this.writer = writer
    try {
      for await (const chunk of source) {
        if (chunk instanceof Uint8Array) await this.writeBuffer(writer, chunk)
        else if (isUint8ArrayList(chunk)) for (const buf of chunk) await this.writeBuffer(writer, buf)
        else {
          throw new TypeError(
            `fromWebStreams(): cannot write ${describeType(chunk)}: the sink takes Uint8Array or Uint8ArrayList chunks`,
          )
        }
      }
      if (this.error !== undefined) throw this.error
      await writer.close()
    } catch (err) {
      const error = this.error ?? (err instanceof Error ? err : new Error(String(err)))
      this.fail(error)
      throw error
    }
  }

  /** Waits for room (`writer.ready`), then hands over one buffer; its failure shows at the next wait. */
  private async writeBuffer(writer: WritableStreamDefaultWriter<Uint8Array>, buf: Uint8Array): Promise<void> {
    if (this.error !== undefined) throw this.error
    if (buf.byteLength === 0) return
    await writer.ready
    if (this.error !== undefined) throw this.error
    writer.write(buf).catch(ignore)
  }

  /** Fails both directions with `err` (the first error wins). */
  private fail(err: Error): void {
    if (this.error !== undefined) return
    this.error = err
    const writer = this.writer
    if (writer !== undefined) writer.abort(err).catch(ignore)
    else if (!this.writable.locked) this.writable.abort(err).catch(ignore)
    if (!this.sourceDone || this.reading) {
      const reader = this.reader
      if (reader !== undefined) reader.cancel(err).catch(ignore)
      else if (!this.readable.locked) this.readable.cancel(err).catch(ignore)
    }
  }
}
