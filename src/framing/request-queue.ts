/**
 * A pipelined `request()` as the outbox and the request lists see it ({@link PendingRequest}), and the
 * first-in, first-out list the requests are linked in ({@link RequestQueue}).
 *
 * @module
 */
import type { Uint8ArrayList } from 'uint8arraylist'
import { OutboxEntry } from './outbox.js'

/** Where a request stands (`PendingRequest.phase`). */
export const WAITING = 0 // in `waiting`: no slot, not sent
export const ENCODING = 1 // in `slots`, being encoded (codecs with only `encode`)
export const QUEUED = 2 // in `slots` and in the outbox: withdrawable until the sink takes it
export const SENT = 3 // in `slots`: the sink took it; its reply is due
export const FINISHED = 4 // in no list: answered, withdrawn or failed
export type Phase = typeof WAITING | typeof ENCODING | typeof QUEUED | typeof SENT | typeof FINISHED

const EMPTY = new Uint8Array(0)

/** What a `PendingRequest` reports to the requests that made it. */
export interface RequestOwner<T> {
  /** The outbox failed before taking the request's message: the connection is broken. */
  failRequests(error: unknown): void
  /** The request's signal aborted. */
  abortRequest(request: PendingRequest<T>): void
}

/**
 * One `request()` past the fast path: its promise, its place in `waiting` or `slots` (linked through
 * the requests themselves), and, once sent, its message in the outbox.
 */
export class PendingRequest<T> extends OutboxEntry {
  chunk: Uint8Array | Uint8ArrayList = EMPTY
  phase: Phase = WAITING
  /** The caller's promise is settled (answered, aborted or failed); the slot may still be taken. */
  settled = false
  prev: PendingRequest<T> | undefined
  next: PendingRequest<T> | undefined

  constructor(
    private readonly owner: RequestOwner<T>,
    readonly message: T,
    readonly signal: AbortSignal | undefined,
    private readonly resolve: (reply: T) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    super()
  }

  taken(): void {
    if (this.phase === QUEUED) this.phase = SENT
    this.chunk = EMPTY // written: only the reply is awaited now, the bytes need not stay in memory
  }

  failed(error: unknown): void {
    this.owner.failRequests(error)
  }

  /** The signal aborted (an object listener: no closure per request). */
  handleEvent(): void {
    this.owner.abortRequest(this)
  }

  answer(reply: T): void {
    if (this.settled) return
    this.settled = true
    this.signal?.removeEventListener('abort', this)
    this.resolve(reply)
  }

  fail(err: unknown): void {
    if (this.settled) return
    this.settled = true
    this.signal?.removeEventListener('abort', this)
    this.reject(err)
  }
}

/** A first-in, first-out list of requests, linked through them: O(1) push, shift and removal. */
export class RequestQueue<T> {
  private head: PendingRequest<T> | undefined
  private tail: PendingRequest<T> | undefined
  size = 0

  push(request: PendingRequest<T>): void {
    request.prev = this.tail
    request.next = undefined
    if (this.tail === undefined) this.head = request
    else this.tail.next = request
    this.tail = request
    this.size++
  }

  shift(): PendingRequest<T> | undefined {
    const request = this.head
    if (request !== undefined) this.remove(request)
    return request
  }

  remove(request: PendingRequest<T>): void {
    if (request.prev === undefined) this.head = request.next
    else request.prev.next = request.next
    if (request.next === undefined) this.tail = request.prev
    else request.next.prev = request.prev
    request.prev = undefined
    request.next = undefined
    this.size--
  }

  /** Empties the list and returns what it held, in order. */
  clear(): PendingRequest<T>[] {
    const requests: PendingRequest<T>[] = []
    for (let request = this.head; request !== undefined; request = request.next) requests.push(request)
    for (const request of requests) {
      request.prev = undefined
      request.next = undefined
    }
    this.head = undefined
    this.tail = undefined
    this.size = 0
    return requests
  }
}
