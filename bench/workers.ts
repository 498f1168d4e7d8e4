/**
 * `--workers 2` against one process: `node dist/bench/workers.js [--quick] [--runs N] [--out FILE]`.
 *
 * Runs workloads A (bulk echo) and D (1,000 connections × 50 round trips, length-prefixed echo) of
 * `npm run bench`, with the same raw client and the same sizes, against the `it-socket listen --echo`
 * command: once as one process, once with `--workers 2` (`node:cluster`, round-robin). Runs are
 * interleaved; medians are reported with the ratio workers-2 / one process. Nothing is pinned:
 * on a 2-core machine the client, the primary and both workers share the two cores, so this says
 * what a second worker buys when the load generator competes for the same CPUs, not what it buys
 * on a machine with cores to spare.
 *
 * @module
 */

import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Child } from './children.js'
import type { ClientResult } from './protocol.js'
import { summarize } from './stats.js'
import { type Case, cases, SERVER } from './workloads.js'

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const CLIENT = fileURLToPath(new URL('./client.js', import.meta.url))

/** The workloads compared, the `it-socket listen` framing each needs, and the metric reported. */
const WORKLOADS = [
  { id: 'A', framing: 'raw', metric: 'mibps' },
  { id: 'D', framing: 'lp', metric: 'ms' },
] as const

/** A server: `it-socket listen 0 --echo --framing F [--workers N]`, resolved once every worker listens. */
async function startServer(
  framing: string,
  workers: number,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const args = [CLI, 'listen', '0', '--echo', '--framing', framing]
  if (workers > 1) args.push('--workers', String(workers))
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  let exited = child.exitCode !== null
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true
      resolve()
    }),
  )
  const ready = workers > 1 ? /workers listening/ : /listening on/
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const deadline = Date.now() + 10_000
  while (!ready.test(stderr)) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the server did not start: ${stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const port = Number(/listening on \S*:(\d+)/.exec(stderr)?.[1])
  return {
    port,
    stop: async () => {
      if (exited) throw new Error(`the server exited during the run: ${stderr}`)
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exit
      clearTimeout(timer)
    },
  }
}

/** One run of `workload` against a fresh server with `workers` workers: the client's result. */
async function runOnce(workload: Case, framing: string, workers: number): Promise<ClientResult> {
  const server = await startServer(framing, workers)
  try {
    const client = new Child(CLIENT, [JSON.stringify(workload.client(server.port, SERVER))], undefined)
    const line = await client.next<{ result: ClientResult }>(Date.now() + workload.timeoutMs)
    await client.stop(undefined)
    return line.result
  } finally {
    await server.stop()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      out: { type: 'string' },
    },
  })
  const quick = values.quick === true
  const runs = values.runs === undefined ? (quick ? 2 : 5) : Number(values.runs)
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a positive integer, not ${values.runs}`)
  const all = cases(quick)
  const report: Record<string, unknown>[] = []
  for (const { id, framing, metric } of WORKLOADS) {
    const workload = all.find((c) => c.id === id)
    if (workload === undefined) throw new Error(`no workload ${id}`)
    const samples: Record<1 | 2, number[]> = { 1: [], 2: [] }
    for (let run = 0; run < runs; run++) {
      // Interleaved, alternating which goes first: drift on this VM hits both alike.
      for (const workers of run % 2 === 0 ? ([1, 2] as const) : ([2, 1] as const)) {
        const result = await runOnce(workload, framing, workers)
        samples[workers].push(result.values[metric] as number)
      }
    }
    const one = summarize(samples[1])
    const two = summarize(samples[2])
    const unit = metric === 'ms' ? 'ms (lower is better)' : 'MiB/s (higher is better)'
    process.stdout.write(
      `${workload.title}\n  one process: median ${one.median.toFixed(1)} ${unit}  ` +
        `[${samples[1].map((v) => v.toFixed(1)).join(', ')}]\n` +
        `  --workers 2: median ${two.median.toFixed(1)} ${unit}  [${samples[2].map((v) => v.toFixed(1)).join(', ')}]\n` +
        `  workers 2 / one process: ${(two.median / one.median).toFixed(2)}×\n`,
    )
    report.push({ id, title: workload.title, metric, oneProcess: samples[1], workers2: samples[2] })
  }
  if (values.out !== undefined) {
    writeFileSync(
      values.out,
      `${JSON.stringify({ date: new Date().toISOString(), runs, quick, report }, null, 2)}\n`,
    )
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`workers: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
