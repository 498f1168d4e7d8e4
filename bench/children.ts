/**
 * Child processes of the orchestrator: spawned pinned to a CPU with `taskset` when there is one,
 * read line by line, and always killed, whether the run succeeds, fails or is interrupted.
 *
 * @module
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'

const TASKSET = '/usr/bin/taskset'

/** Whether processes can be pinned to CPUs. */
export const canPin = existsSync(TASKSET)

const live = new Set<ChildProcess>()

/** Kills every child still running (SIGKILL: used on the way out). */
export function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
  live.clear()
}

process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll()
    process.exit(130)
  })
}

/** A child whose stdout is read as lines. */
export class Child {
  readonly process: ChildProcess
  private readonly lines: string[] = []
  private waiter: (() => void) | undefined
  private stderrTail = ''
  private exited = false

  constructor(
    script: string,
    args: readonly string[],
    cpu: number | undefined,
    nodeArgs: readonly string[] = [],
  ) {
    const command = [process.execPath, ...nodeArgs, script, ...args]
    const [file, ...argv] = cpu !== undefined && canPin ? [TASKSET, '-c', String(cpu), ...command] : command
    // taskset execs the command, so the pid is node's own.
    this.process = spawn(file as string, argv, { stdio: ['pipe', 'pipe', 'pipe'] })
    live.add(this.process)
    createInterface({ input: this.process.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.lines.push(line)
      this.wake()
    })
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000)
    })
    this.process.on('exit', () => {
      this.exited = true
      live.delete(this.process)
      this.wake()
    })
    this.process.stdin?.on('error', () => {})
  }

  get pid(): number {
    return this.process.pid ?? -1
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** The next stdout line parsed as JSON; rejects if the child exits first or `deadline` passes. */
  async next<T>(deadline: number): Promise<T> {
    for (;;) {
      const line = this.lines.shift()
      if (line !== undefined) {
        try {
          return JSON.parse(line) as T
        } catch {
          continue // not ours (a warning printed on stdout)
        }
      }
      if (this.exited)
        throw new Error(
          `exited with ${this.process.exitCode ?? this.process.signalCode}: ${this.stderrTail.trim()}`,
        )
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('timed out')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }

  send(line: string): void {
    if (!this.exited) this.process.stdin?.write(`${line}\n`)
  }

  /**
   * Asks the child to exit with `command` (or waits for it to exit by itself when there is none),
   * so that `--cpu-prof` profiles get written; kills it after `graceMs`.
   */
  async stop(command: string | undefined, graceMs = 5000): Promise<void> {
    if (this.exited) return
    if (command !== undefined) this.send(command)
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()))
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }
}
