/**
 * The write side of `framed()`: encodes messages into the {@link Outbox} and calls the underlying
 * sink, once, with the outbox's drain. `write()`, `sink()`, `request()` and the unwrapped sink all
 * queue here, in order.
 *
 * @module
 */
import type { Sink, Source } from 'it-stream-types'
import { Uint8ArrayList } from 'uint8arraylist'
import { SinkInUseError } from '../errors.js'
import type { Codec } from './codec.js'
import { Outbox } from './outbox.js'

/**
 * Bytes `sink()` queues before waiting for the connection to take them (64 KiB): bounds the memory a
 * fast source can fill when the peer reads slowly. `write()` callers bound it by awaiting each write.
 */
const WRITE_HIGH_WATER_MARK = 64 * 1024

/** Encodes messages into one outbox and hands it to the underlying sink on the first write. */
export class FrameWriter<T> {
  readonly outbox = new Outbox(WRITE_HIGH_WATER_MARK)
  /** `sink()` is iterating its source (`unwrap()` refuses meanwhile). */
  sinkActive = false
  private sinkStarted: Promise<void> | undefined
  private sinkCalled = false
  /** Orders writes for codecs without `encodeFrame`. */
  private encodeChain: Promise<unknown> = Promise.resolve()
  /** Messages encoded so far (`framed().stats.messagesEncoded`). */
  encoded = 0

  constructor(
    private readonly duplex: { sink: Sink<AsyncGenerator<Uint8Array | Uint8ArrayList>, unknown> },
    private readonly codec: Codec<T>,
  ) {}

  /** Calls the underlying sink, once, with the outbox's drain. */
  startSink(): void {
    if (this.sinkStarted !== undefined) return
    const started = (async () => {
      await this.duplex.sink(this.outbox.drain())
    })()
    // A sink that stops (or fails) leaves nobody to take what is queued: fail those writes.
    started.catch((err: unknown) => this.outbox.fail(err))
    this.sinkStarted = started
  }

  /** `write()` once the caller checked its signal: resolves when the connection took the message. */
  write(message: T, signal: AbortSignal | undefined): Promise<void> {
    // Not an async function: it returns the outbox's promise as is, without extra ticks.
    const { encodeFrame } = this.codec
    if (encodeFrame !== undefined) {
      let chunk: Uint8Array | Uint8ArrayList
      try {
        chunk = this.counted(encodeFrame(message))
      } catch (err) {
        return Promise.reject(err)
      }
      this.startSink()
      return this.outbox.enqueue(chunk, signal)
    }
    // Codecs with only `encode`: encode in order, then queue without waiting for earlier writes.
    const queued = this.encodeChain.then(async () => {
      const chunk = await this.encodeOne(message)
      this.startSink()
      return { taken: this.outbox.enqueue(chunk, signal) }
    })
    this.encodeChain = queued.catch(() => undefined)
    return queued.then(({ taken }) => taken)
  }

  /** Encodes `message` after the messages written before it, for codecs without `encodeFrame`. */
  encodeInOrder(message: T): Promise<Uint8Array | Uint8ArrayList> {
    const encoded = this.encodeChain.then(() => this.encodeOne(message))
    this.encodeChain = encoded.catch(() => undefined)
    return encoded
  }

  /** `sink()`: writes every message of `source`, then half-closes. */
  async sink(source: Source<T>): Promise<void> {
    if (this.sinkCalled) throw new SinkInUseError('sink() may be called only once per framed stream')
    this.sinkCalled = true
    this.sinkActive = true
    try {
      this.startSink()
      const { encodeFrame } = this.codec
      for await (const message of source) {
        this.outbox.push(
          encodeFrame !== undefined ? this.counted(encodeFrame(message)) : await this.encodeOne(message),
        )
        if (this.outbox.full) await this.outbox.room()
      }
      await this.encodeChain
      this.outbox.end()
    } catch (err) {
      this.outbox.abort(err)
      throw err
    } finally {
      this.sinkActive = false
    }
    await this.sinkStarted
  }

  /** Counts a message `encodeFrame` encoded (here, or for a request) and returns its frame. */
  counted(chunk: Uint8Array | Uint8ArrayList): Uint8Array | Uint8ArrayList {
    this.encoded++
    return chunk
  }

  /** Encodes one message with a codec that has only `encode`, counting it. */
  private async encodeOne(message: T): Promise<Uint8Array | Uint8ArrayList> {
    return this.counted(await encodeOne(this.codec, message))
  }

  /** The sink `unwrap()` hands back: bytes, after every message queued before; callable once. */
  unwrap(): (source: Source<Uint8Array | Uint8ArrayList>) => Promise<void> {
    let sinkCalled = false
    return async (source) => {
      if (sinkCalled) throw new SinkInUseError('sink() may be called only once per connection')
      sinkCalled = true
      if (this.outbox.closedError !== undefined) throw this.outbox.closedError
      try {
        this.startSink()
        for await (const chunk of source) {
          this.outbox.push(chunk)
          if (this.outbox.full) await this.outbox.room()
        }
        this.outbox.end()
      } catch (err) {
        this.outbox.abort(err)
        throw err
      }
      await this.sinkStarted
    }
  }
}

/** Encodes one message with a codec that has only `encode`. */
async function encodeOne<T>(codec: Codec<T>, message: T): Promise<Uint8Array | Uint8ArrayList> {
  const chunks: Array<Uint8Array | Uint8ArrayList> = []
  for await (const chunk of codec.encode([message])) chunks.push(chunk)
  return chunks.length === 1 ? (chunks[0] as Uint8Array | Uint8ArrayList) : new Uint8ArrayList(...chunks)
}
