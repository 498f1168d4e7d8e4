/**
 * The scale run (issue 14): `node dist/bench/scale.js [--connections 100000] [--out FILE]`.
 *
 * For raw `node:net` and then it-socket (the same echo servers as the benchmark, `server.ts <stack>
 * lp`, on CPU 1), a client process (`scale-client.ts`, CPU 0) opens `--connections` connections at
 * once from 127.0.0.2–127.0.0.9, each echoing one message and then staying idle; the orchestrator
 * measures the accept rate, the server's RSS per idle connection (after forced GCs), and the time
 * from the client ending every socket until the server holds none, while a probe connects a fresh
 * client every 250 ms and times one echo round trip. It first raises the descriptor limit (children
 * inherit it) and, as root, widens `ip_local_port_range` if it is too narrow. Prints a table; writes
 * everything as JSON to `--out`. Every child is killed on the way out, and every phase has a deadline.
 *
 * @module
 */

import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { killAll } from './children.js'
import { SOURCE_HOSTS } from './scale-echo.js'
import { type ScaleStack, type StackResult, table } from './scale-report.js'
import { type RunOptions, runStack } from './scale-run.js'
import { ensurePortRange, raiseFdLimit, sysctls } from './scale-system.js'

const here = fileURLToPath(new URL('.', import.meta.url))
/** it-socket's RSS per idle connection may be at most this many times raw `node:net`'s. */
const TARGET = 1.3
/** Descriptors a process keeps for itself besides its connections. */
const SPARE_FDS = 64

const log = (line: string): void => void process.stdout.write(`${line}\n`)

interface Options extends RunOptions {
  stacks: ScaleStack[]
  out: string | undefined
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '100000' },
      window: { type: 'string', default: '1000' },
      stacks: { type: 'string', default: 'raw-net,it-socket' },
      'idle-ms': { type: 'string', default: '3000' },
      'probe-ms': { type: 'string', default: '250' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    log(
      'usage: node dist/bench/scale.js [--connections 100000|max] [--window 1000] [--stacks raw-net,it-socket]\n' +
        '                                [--idle-ms 3000] [--probe-ms 250] [--out FILE]',
    )
    process.exit(0)
  }
  const stacks = values.stacks.split(',').filter((s): s is ScaleStack => s === 'raw-net' || s === 'it-socket')
  // `max`: as many as the descriptor limit allows (resolved in main, once it is raised).
  const connections = values.connections === 'max' ? Number.POSITIVE_INFINITY : Number(values.connections)
  const window = Number(values.window)
  if (!(connections >= 1) || !(window >= 1) || stacks.length === 0) {
    throw new Error('--connections and --window must be positive, --stacks raw-net and/or it-socket')
  }
  const idleMs = Number(values['idle-ms'])
  const probeMs = Number(values['probe-ms'])
  return { connections, window, stacks, idleMs, probeMs, out: values.out }
}

function commit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}

async function main(): Promise<void> {
  const o = options()

  const limit = raiseFdLimit()
  // Each process holds its connections plus its own few descriptors (stdio, epoll, the listener…).
  const fit = limit.after.soft - SPARE_FDS
  if (o.connections === Number.POSITIVE_INFINITY) o.connections = fit
  if (o.connections > fit) {
    throw new Error(
      `${o.connections} connections need ${o.connections + SPARE_FDS} descriptors per process, the limit is ` +
        `${limit.after.soft} (${limit.note}): run as root with CAP_SYS_RESOURCE, or --connections ${fit} (max)`,
    )
  }
  // A safety net over the per-phase deadlines: nothing outlives this.
  const watchdog = setTimeout(
    () => {
      process.stderr.write('scale: overall deadline passed, killing everything\n')
      killAll()
      process.exit(1)
    },
    (180_000 + o.connections * 8) * o.stacks.length,
  )
  watchdog.unref()
  const perHost = Math.ceil(o.connections / SOURCE_HOSTS.length)
  // This stack's ports plus the previous stack's (TIME_WAIT, 60 s), with a quarter to spare.
  const portRange = ensurePortRange(Math.ceil(perHost * Math.min(2, o.stacks.length) * 1.25))
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: release(),
  }
  log(
    `scale: ${o.connections} connections per stack from ${SOURCE_HOSTS[0]}–${SOURCE_HOSTS.at(-1)}, window ${o.window}`,
  )
  log(
    `${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB · Node ${machine.node} · Linux ${machine.kernel}`,
  )
  log(
    `open files: ${limit.before.soft}/${limit.before.hard} → ${limit.after.soft}/${limit.after.hard} (${limit.note})`,
  )
  log(portRange)
  const sys = sysctls()
  log(
    `sysctls (read): ${Object.entries(sys)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  )
  log(`descriptors: about ${2 * o.connections} on the machine (fs.file-max=${sys['fs.file-max']})`)

  const results: StackResult[] = []
  for (const stack of o.stacks) {
    log(`${stack}:`)
    results.push(await runStack(stack, o))
  }
  log('')
  log(table(results))
  const raw = results.find((r) => r.stack === 'raw-net')
  const it = results.find((r) => r.stack === 'it-socket')
  const ratio = raw && it ? it.rssPerConn / raw.rssPerConn : null
  if (ratio !== null) {
    log(
      `\nRSS per connection, it-socket ÷ raw net: ${ratio.toFixed(2)}× (target ≤ ${TARGET}×: ${ratio <= TARGET ? 'met' : 'missed'})`,
    )
  }
  const failed = results.reduce((sum, r) => sum + r.probes.all.failed, 0)
  log(
    failed === 0
      ? 'every probe got its echo'
      : `${failed} probes failed: ${results.flatMap((r) => r.probes.all.errors).join('; ')}`,
  )
  if (o.out !== undefined) {
    const record = {
      date: new Date().toISOString(),
      command: `node ${process.argv.slice(1).join(' ')}`,
      commit: commit(),
      machine,
      options: o,
      limits: limit,
      portRange,
      sysctls: sys,
      results,
      rssPerConnRatio: ratio,
      target: { rssPerConnRatio: TARGET, met: ratio === null ? null : ratio <= TARGET },
    }
    writeFileSync(o.out, `${JSON.stringify(record, null, 2)}\n`)
    log(`wrote ${o.out}`)
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`scale: ${err instanceof Error ? err.message : String(err)}\n`)
    killAll()
    process.exit(1)
  },
)
