/**
 * @internal A byte source written by hand rather than as an async generator, so that leaving it
 * before its first read still tells its owner (an async generator's `finally` never runs if it never
 * started): the source of `duplexPair()`'s ends and of `fromWebStreams()`.
 *
 * @module
 */

/** @internal The end of every source. */
export const DONE: IteratorReturnResult<void> = { done: true, value: undefined }

/** @internal What a {@link LeavableSource} reads from, and tells when it is left. */
export interface SourceOwner {
  read(): Promise<IteratorResult<Uint8Array, void>>
  /** The consumer left the source (`return()`, `throw()`, disposal), read or not. */
  leaveSource(): void
}

/** @internal See the module comment. */
export class LeavableSource implements AsyncGenerator<Uint8Array, void, undefined> {
  constructor(private readonly owner: SourceOwner) {}

  next(): Promise<IteratorResult<Uint8Array, void>> {
    return this.owner.read()
  }

  return(): Promise<IteratorResult<Uint8Array, void>> {
    this.owner.leaveSource()
    return Promise.resolve(DONE)
  }

  throw(err: unknown): Promise<IteratorResult<Uint8Array, void>> {
    this.owner.leaveSource()
    return Promise.reject(err)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.owner.leaveSource()
  }
}
