/**
 * Two builds of it-socket against each other, for a change whose cost the ratios to raw `net` are
 * too coarse to show: `npm run bench:ab -- --base DIR [--runs N] [--only B-64,D]`. DIR is another
 * checkout, built (`git worktree add /tmp/base REV && cd /tmp/base && ln -s $PWD/node_modules && npx
 * tsc -p tsconfig.build.json`). Each workload runs its it-socket server from each build (CPU 1)
 * under the same client (CPU 0): the raw client, and each build's own it-socket client for the
 * both-ends rows; builds alternate within a run, and the order flips run by run. Reported per
 * workload: the median of each build's metric, and of the per-run ratios this / base of the metric
 * and of the server's CPU time, which a shared machine disturbs less than the wall clock.
 *
 * @module
 */

import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Child } from './children.js'
import type {
  ClientName,
  ClientResult,
  ClientSpec,
  ServerMode,
  ServerReady,
  ServerSyscalls,
} from './protocol.js'
import { summarize } from './stats.js'

const here = fileURLToPath(new URL('.', import.meta.url))
const KiB = 1024
const MiB = 1024 * KiB

interface AbCase {
  id: string
  mode: ServerMode
  client: ClientName
  metric: string
  better: 'higher' | 'lower'
  spec: (port: number, client: ClientName) => ClientSpec
}

const frames64 = (port: number, client: ClientName): ClientSpec => ({
  kind: 'frames',
  client,
  port,
  codec: 'lp',
  size: 64,
  count: 600_000,
  window: 2 * MiB,
})
const many = (port: number, client: ClientName): ClientSpec => ({
  kind: 'many',
  client,
  port,
  connections: 1000,
  roundTrips: 50,
  size: 64,
  batch: 100,
})
const bulk = (port: number, client: ClientName): ClientSpec => ({
  kind: 'bulk',
  client,
  port,
  totalBytes: 256 * MiB,
  writeSize: 64 * KiB,
  window: 4 * MiB,
})

/** The workloads of `npm run bench` that a per-message or per-connection cost shows in. */
const CASES: readonly AbCase[] = [
  { id: 'A', mode: 'bytes', client: 'raw', metric: 'mibps', better: 'higher', spec: bulk },
  { id: 'B-64', mode: 'lp', client: 'raw', metric: 'msgps', better: 'higher', spec: frames64 },
  { id: 'B-64 both', mode: 'lp', client: 'it-socket', metric: 'msgps', better: 'higher', spec: frames64 },
  { id: 'D', mode: 'lp', client: 'raw', metric: 'ms', better: 'lower', spec: many },
  { id: 'D both', mode: 'lp', client: 'it-socket', metric: 'ms', better: 'lower', spec: many },
]

/** One run of `c` on `root`'s build: the client's metric and the server's CPU time over the exchange. */
async function runOnce(root: string, c: AbCase): Promise<{ value: number; cpuMs: number }> {
  const deadline = Date.now() + 120_000
  const server = new Child(join(root, 'dist/bench/server.js'), ['it-socket', c.mode], 1)
  try {
    const { port } = await server.next<ServerReady>(deadline)
    server.send('io')
    const before = await server.next<ServerSyscalls>(deadline)
    // The client of the same build: the both-ends rows measure each build at both ends.
    const client = new Child(join(root, 'dist/bench/client.js'), [JSON.stringify(c.spec(port, c.client))], 0)
    const { result } = await client.next<{ result: ClientResult }>(deadline)
    await client.stop(undefined)
    server.send('io')
    const after = await server.next<ServerSyscalls>(deadline)
    const value = result.values[c.metric]
    if (value === undefined) throw new Error(`${c.id}: the client reported no ${c.metric}`)
    return { value, cpuMs: after.cpuMs - before.cpuMs }
  } finally {
    await server.stop('exit', 2000)
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { base: { type: 'string' }, runs: { type: 'string' }, only: { type: 'string' } },
  })
  if (values.base === undefined) throw new Error('usage: ab.js --base DIR [--runs N] [--only A,B-64,D]')
  const roots = { base: resolve(values.base), this: resolve(here, '..', '..') }
  const runs = Number(values.runs ?? 7)
  const only = values.only?.split(',').map((s) => s.trim())
  const cases = CASES.filter((c) => only === undefined || only.includes(c.id))
  if (cases.length === 0) throw new Error(`--only ${values.only} selects no workload`)
  process.stdout.write(`this build: ${roots.this}\nbase build: ${roots.base}\n`)
  for (const c of cases) {
    const got: Record<'base' | 'this', Array<{ value: number; cpuMs: number }>> = { base: [], this: [] }
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? (['base', 'this'] as const) : (['this', 'base'] as const)
      for (const build of order) got[build].push(await runOnce(roots[build], c))
    }
    const ratio = (key: 'value' | 'cpuMs') =>
      summarize(got.this.map((r, i) => r[key] / (got.base[i]?.[key] ?? Number.NaN)))
    const value = ratio('value')
    const cpu = ratio('cpuMs')
    const med = (build: 'base' | 'this') => summarize(got[build].map((r) => r.value)).median
    const f = (x: number) => x.toFixed(3)
    process.stdout.write(
      `${c.id} (${c.metric}, ${c.better} is better, ${runs} runs): base ${med('base').toFixed(1)}, this ${med('this').toFixed(1)}; this/base ${f(value.median)} (${f(value.min)}–${f(value.max)}); server CPU this/base ${f(cpu.median)} (${f(cpu.min)}–${f(cpu.max)})\n`,
    )
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
