import type { Socket } from 'node:net'
import { isUint8ArrayList } from 'uint8arraylist'
import { describeValue } from '../describe.js'
import { formatAddress, type SocketAddress } from './address.js'

/**
 * Longest run of adjacent chunks merged into one write, in bytes (256 KiB): past it the run is
 * written and a new one starts, so backpressure is checked at least this often.
 */
const MAX_RUN = 256 * 1024

/**
 * @internal Gathers what a sink writes within one tick into as few `socket.write()` calls as
 * possible, without copying: chunks that lie back to back in one `ArrayBuffer` (as frames an encoder
 * carves one after another from a slab do) are merged into one view, and the rest are written under
 * `cork()` so the tick's writes leave in one `writev` (a lone run is written uncorked). Node.js's
 * per-write bookkeeping (an object, a Buffer conversion, a callback slot) is then paid per run, not
 * per message.
 */
export class WriteBatch {
  private readonly socket: Socket
  /** Whose socket it is, for the message of a bad chunk. */
  private readonly owner: { readonly remoteAddress: SocketAddress }
  private runBuffer: ArrayBufferLike | undefined
  private runStart = 0
  private runEnd = 0
  /** The run's first chunk, written as it is when the run is only that chunk. */
  private runFirst: Uint8Array | undefined
  private corked = false
  /** A flush is queued for the end of this tick. */
  private scheduled = false
  /** Bytes handed to the socket so far (`conn.stats.bytesWritten`). */
  written = 0

  constructor(socket: Socket, owner: { readonly remoteAddress: SocketAddress }) {
    this.socket = socket
    this.owner = owner
  }

  /**
   * Writes a whole batch now, in one `writev`: when a batch-aware source hands over everything it
   * has ready at once, there is nothing to wait for, so no tick is spent (a request/response round
   * trip saves a `process.nextTick` hop).
   */
  writeAll(chunks: readonly unknown[]): void {
    for (const chunk of chunks) this.appendChunk(chunk)
    this.flush()
  }

  /**
   * Queues a batch for this tick's write, as {@link addChunk} does each chunk: what a loop gathers from
   * a source within one tick (a generator or array read in a burst) leaves in one `writev`, in runs
   * of at most `MAX_RUN` bytes, rather than one write per batch.
   */
  addAll(chunks: readonly unknown[]): void {
    this.schedule()
    for (const chunk of chunks) this.appendChunk(chunk)
  }

  /** Queues a sink's chunk for this tick's write; it must not be modified until then. */
  addChunk(chunk: unknown): void {
    this.schedule()
    this.appendChunk(chunk)
  }

  /**
   * Appends a sink's chunk: a `Uint8Array`, or a `Uint8ArrayList` buffer by buffer. Anything else
   * throws a `TypeError` naming its type: a string or a `Uint16Array` would otherwise be written as
   * nothing, or as some of its bytes, and the sink would still resolve.
   */
  private appendChunk(chunk: unknown): void {
    if (chunk instanceof Uint8Array) this.append(chunk)
    else if (isUint8ArrayList(chunk)) for (const buf of chunk) this.append(buf)
    else throw this.notAChunk(chunk)
  }

  private notAChunk(chunk: unknown): TypeError {
    const hint =
      typeof chunk === 'string' ? ' (encode text first, e.g. pipe(lines, lines().encode, conn))' : ''
    return new TypeError(
      `Cannot write to ${formatAddress(this.owner.remoteAddress)}: a connection's sink takes Uint8Array or Uint8ArrayList chunks, got ${describeValue(chunk)}${hint}`,
    )
  }

  /** Flushes at the end of this tick, once, whatever is queued by then. */
  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true
      process.nextTick(flushBatch, this)
    }
  }

  /**
   * Extends the current run with `chunk` when it lies right after it, else writes the run and starts
   * anew. The socket is corked only once a second run starts: a single write goes out uncorked, so
   * that when the kernel takes it at once Node.js reports no backpressure (a corked write always
   * raises `writableNeedDrain` past the high-water mark, and the sink would wait for a 'drain').
   */
  private append(chunk: Uint8Array): void {
    const length = chunk.byteLength
    if (length === 0) return
    if (
      chunk.buffer === this.runBuffer &&
      chunk.byteOffset === this.runEnd &&
      this.runEnd - this.runStart + length <= MAX_RUN
    ) {
      this.runEnd += length
      return
    }
    if (this.runBuffer !== undefined) {
      if (!this.corked) {
        this.corked = true
        this.socket.cork()
      }
      this.writeRun()
    }
    this.runBuffer = chunk.buffer
    this.runStart = chunk.byteOffset
    this.runEnd = chunk.byteOffset + length
    this.runFirst = chunk
  }

  /** Writes what is queued and uncorks: the OS gets it in one `writev`. Called at the end of each tick. */
  flush(): void {
    this.scheduled = false
    if (this.runBuffer !== undefined) this.writeRun()
    if (this.corked) {
      this.corked = false
      this.socket.uncork()
    }
  }

  private writeRun(): void {
    const first = this.runFirst as Uint8Array
    const length = this.runEnd - this.runStart
    this.written += length
    this.socket.write(
      length === first.byteLength ? first : Buffer.from(this.runBuffer as ArrayBuffer, this.runStart, length),
    )
    this.runBuffer = undefined
    this.runFirst = undefined
  }
}

function flushBatch(batch: WriteBatch): void {
  batch.flush()
}
