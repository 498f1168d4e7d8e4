/**
 * @internal One parked waiter, resumed by the next `wake()`: how a source waits for data and a sink
 * for 'drain' without a promise or listener per chunk. A promise is made only when someone waits.
 */
export class Wakeup {
  private resolve: (() => void) | undefined

  /** True while someone waits. */
  get waiting(): boolean {
    return this.resolve !== undefined
  }

  /** Parks the caller until the next `wake()`. One waiter at a time. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.resolve = resolve
    })
  }

  /** Resumes the waiter, if any. */
  wake(): void {
    const resolve = this.resolve
    if (resolve !== undefined) {
      this.resolve = undefined
      resolve()
    }
  }
}

/** @internal A one-way latch: `wait()` resolves once `open()` has been called, at once after that. */
export class Latch {
  private isOpen = false
  private promise: Promise<void> | undefined
  private resolve: (() => void) | undefined

  /** True once opened. */
  get opened(): boolean {
    return this.isOpen
  }

  /** Resolves once the latch is open. */
  wait(): Promise<void> {
    if (this.isOpen) return Promise.resolve()
    this.promise ??= new Promise<void>((resolve) => {
      this.resolve = resolve
    })
    return this.promise
  }

  /** Opens the latch; idempotent. */
  open(): void {
    this.isOpen = true
    this.resolve?.()
  }
}
