import type { EventEmitter } from 'node:events'

/** The deadline of {@link waitFor}: none, or `timeout` ms with the error to fail with. */
export type WaitDeadline =
  | { timeout?: undefined; onTimeout?: undefined }
  | {
      /** Milliseconds to wait; `0` or `undefined` means no limit. */
      timeout: number | undefined
      /** The rejection once `timeout` has passed. */
      onTimeout: () => Error
    }

/** The cancellation of {@link waitFor}: none, or a signal with the error to fail with. */
export type WaitSignal =
  | { signal?: undefined; onAbort?: undefined }
  | {
      /** Cancels the wait when it fires, or at once if it already has. */
      signal: AbortSignal | undefined
      /** The rejection once `signal` fired, given its `reason`. */
      onAbort: (reason: unknown) => Error
    }

/** Options of {@link waitFor}. */
export type WaitForOptions = {
  /** The event that ends the wait successfully, e.g. `'connect'` or `'listening'`. */
  event: string
  /** Turns the emitter's `'error'` into the rejection (e.g. translates it). @default the error as emitted */
  onError?: (err: Error) => Error
} & WaitDeadline &
  WaitSignal

/**
 * @internal Waits for `event` on `emitter`, racing its `'error'`, an optional timeout and an optional
 * `AbortSignal`: resolves on the event, rejects with the error each of the others makes. Every
 * listener and the timer are removed whichever comes first, so the emitter is left as it was found.
 *
 * Start the operation (`socket.connect()`, `server.listen()`, `socket.bind()`) before calling it:
 * Node.js emits the outcome asynchronously, and an operation that throws synchronously then leaves
 * no listener behind. The wait does not close the emitter on failure; the caller, who made it, does.
 */
export function waitFor(emitter: EventEmitter, options: WaitForOptions): Promise<void> {
  const { event, onError: translate } = options
  // Narrowed once: where there is a signal there is an `onAbort`, and a timeout has its `onTimeout`.
  const abort = options.signal === undefined ? undefined : { signal: options.signal, error: options.onAbort }
  const deadline =
    options.onTimeout === undefined ? undefined : { ms: options.timeout ?? 0, error: options.onTimeout }
  if (abort?.signal.aborted === true) return Promise.reject(abort.error(abort.signal.reason))
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined
    const settle = (err?: Error): void => {
      if (timer !== undefined) clearTimeout(timer)
      emitter.off(event, onEvent)
      emitter.off('error', onError)
      abort?.signal.removeEventListener('abort', onAbort)
      if (err === undefined) resolve()
      else reject(err)
    }
    const onEvent = (): void => settle()
    const onError = (err: Error): void => settle(translate === undefined ? err : translate(err))
    const onAbort = (): void => {
      if (abort !== undefined) settle(abort.error(abort.signal.reason))
    }
    emitter.on(event, onEvent)
    emitter.on('error', onError)
    abort?.signal.addEventListener('abort', onAbort, { once: true })
    // 0 is "no limit": a 0 ms timer would race the event (a loopback connect lost about 1 time in 10).
    if (deadline !== undefined && deadline.ms > 0)
      timer = setTimeout(() => settle(deadline.error()), deadline.ms)
  })
}
