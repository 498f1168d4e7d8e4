/**
 * The responsiveness probe of the scale run: every `intervalMs`, a fresh client connects to the
 * server, makes one echo round trip and closes; each probe's latency (connect included) is recorded
 * with the phase it ran in. A probe that errs or takes longer than `timeoutMs` is a failure.
 *
 * @module
 */

import { performance } from 'node:perf_hooks'
import { connectEcho, echoFrame } from './scale-echo.js'
import { percentile } from './stats.js'

/** One probe: when in the phase it ran, its latency in ms, and the error if it failed. */
export interface ProbeSample {
  phase: string
  ms: number
  error?: string
}

/** Probes of one phase (or all): how many, how many failed, and latency p50, p99, max in ms. */
export interface ProbeSummary {
  count: number
  failed: number
  p50: number
  p99: number
  max: number
  errors: string[]
}

/** Runs probes one after another, one every `intervalMs` (the next starts once the last is done). */
export class Probe {
  /** The phase the next probes are recorded under. */
  phase = 'idle'
  /** While true, no probe starts (set around the server's forced GCs, which stop it by design). */
  paused = false
  readonly samples: ProbeSample[] = []
  private running = false
  private loop: Promise<void> = Promise.resolve()
  private readonly frame: Buffer

  constructor(
    private readonly port: number,
    private readonly intervalMs = 250,
    private readonly timeoutMs = 5000,
    size = 64,
  ) {
    this.frame = echoFrame(size)
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.loop = this.run()
  }

  /** Stops probing; resolves once the probe in flight (if any) is done. */
  async stop(): Promise<void> {
    this.running = false
    await this.loop
  }

  private async run(): Promise<void> {
    while (this.running) {
      const t0 = performance.now()
      if (!this.paused) {
        const phase = this.phase
        try {
          const socket = await connectEcho(this.port, this.frame, undefined, this.timeoutMs)
          socket.destroy()
          this.samples.push({ phase, ms: performance.now() - t0 })
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err)
          this.samples.push({ phase, ms: performance.now() - t0, error })
        }
      }
      const left = this.intervalMs - (performance.now() - t0)
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, left)))
    }
  }

  /** The samples of `phase` (all when undefined), summarized. */
  summary(phase?: string): ProbeSummary {
    const mine = this.samples.filter((s) => phase === undefined || s.phase === phase)
    const ok = mine
      .filter((s) => s.error === undefined)
      .map((s) => s.ms)
      .sort((a, b) => a - b)
    const errors = mine.flatMap((s) => (s.error === undefined ? [] : [`${s.phase}: ${s.error}`]))
    return {
      count: mine.length,
      failed: errors.length,
      p50: percentile(ok, 0.5),
      p99: percentile(ok, 0.99),
      max: ok[ok.length - 1] ?? Number.NaN,
      errors: errors.slice(0, 5),
    }
  }
}
