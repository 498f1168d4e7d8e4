/**
 * The benchmark orchestrator: `npm run bench -- [--quick] [--only A,B] [--runs N] [--profile]`.
 *
 * For each workload and each run index, runs every row (a server stack and the client driving it) in
 * turn (the order rotates with the run index, so drift hits all rows alike): a fresh server process
 * (CPU 1) and a fresh client process (CPU 0; both on CPU 0 for C), then the workload's in-memory
 * micro-benchmark if it has one (D-PROXY's header parsing, CPU 1); then computes medians, min–max
 * and per-run ratios to the workload's baseline row: raw `node:net` under the raw client (for the TLS
 * workloads, raw `node:tls` under the raw TLS client; for D-PROXY, it-socket's server without
 * `proxyProtocol`), prints the table, and writes
 * `bench/results/latest.{md,json,svg}`. Where the workload counts syscalls, the server is asked for
 * its own before the client starts and after its result. A row that fails or times out is recorded
 * as failed; the run goes on.
 *
 * @module
 */

import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, type } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chart } from './chart.js'
import { Child, canPin, killAll } from './children.js'
import {
  type ClientEvent,
  type ClientResult,
  type MemorySample,
  type Row,
  rowKey,
  type ServerReady,
  type ServerSyscalls,
  type SyscallCount,
} from './protocol.js'
import {
  type CaseResult,
  checkTargets,
  fmt,
  type Machine,
  type MicroRecord,
  markdown,
  type Results,
  type RunRecord,
  summarizeCase,
} from './report.js'
import { syscallsSince } from './syscalls.js'
import { type Case, cases, type MicroBench, TARGETS } from './workloads.js'

const KiB = 1024
const MiB = 1024 * KiB

const here = fileURLToPath(new URL('.', import.meta.url))
const SERVER = join(here, 'server.js')
const CLIENT = join(here, 'client.js')
/** dist/bench/ → the checkout's bench/results/. */
const ROOT = join(here, '..', '..')

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

interface Options {
  quick: boolean
  runs: number
  only: string[] | undefined
  profile: boolean
  out: string
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string' },
      profile: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(
      [
        'usage: npm run bench -- [options]',
        '  --quick        small sizes, 2 runs: a smoke run in under a minute',
        "  --only A,B     workloads to run (A, B, B', B-LF, C, D, D-PROXY, D-OBS, E, F, TLS-A, TLS-B, TLS-H; TLS: all three)",
        '  --runs N       runs per stack (default 5; quick 2)',
        "  --profile      --cpu-prof it-socket's server and client (bench/results/profiles/)",
        '  --out DIR      where results go (default bench/results for a full run of every workload,',
        '                 bench/results/local for --quick or --only, which git ignores)',
        '',
      ].join('\n'),
    )
    process.exit(0)
  }
  const quick = values.quick === true
  const runs = values.runs === undefined ? (quick ? 2 : 5) : Number(values.runs)
  if (!Number.isInteger(runs) || runs < 1)
    throw new RangeError(`--runs must be a positive integer, got ${values.runs}`)
  const only = values.only?.split(',').map((s) => s.trim().toUpperCase().replace(/^BP$/, "B'"))
  return {
    quick,
    runs,
    only,
    profile: values.profile === true,
    // Only a full run of every workload replaces the committed results that the README embeds; a
    // quick or partial run goes to bench/results/local/ (ignored by git) unless --out says otherwise.
    out: values.out ?? join(ROOT, 'bench', 'results', quick || only !== undefined ? 'local' : ''),
  }
}

function machine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown'
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'))
    if (line !== undefined) cpu = line.split(':')[1]?.trim() ?? cpu
  } catch {
    // not Linux
  }
  let commit = 'unknown'
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT }).toString().trim()
    commit = dirty === '' ? head : `${head} (src/ modified)`
  } catch {
    // not a checkout
  }
  return {
    cpu,
    cores: cpus().length,
    node: process.version,
    os: `${type()} ${release()}`,
    date: new Date().toISOString(),
    pinned: canPin,
    commit,
    load: [loadavg()[0] as number, Number.NaN],
  }
}

/** Divides a syscall count by the case's units into `values` under `prefix` + Writes / Reads. */
function perUnit(
  values: Record<string, number>,
  prefix: 'client' | 'server',
  count: SyscallCount | null | undefined,
  units: number,
): void {
  if (count === null || count === undefined) return // not readable here: the report says n/a
  values[`${prefix}Writes`] = count.writes / units
  values[`${prefix}Reads`] = count.reads / units
}

/** Runs one row once on one case: a server, a client, and the flow's measurements. */
async function runOnce(c: Case, row: Row, run: number, opts: Options): Promise<RunRecord> {
  const { stack, client: clientName } = row
  const deadline = Date.now() + c.timeoutMs
  const profileDir = join(opts.out, 'profiles', c.id.replace(/'/g, 'p'))
  // it-socket's processes are profiled: the server in its rows, the client in both-ends rows too.
  const profiled = opts.profile && (stack === 'it-socket' || stack === 'it-socket-proxy')
  const prefix = clientName !== 'raw' ? 'both-' : stack === 'it-socket-proxy' ? 'proxy-' : ''
  const profileName = (side: string): string => `--cpu-prof-name=${prefix}${side}-run${run + 1}.cpuprofile`
  const nodeArgs = ['--expose-gc']
  if (profiled) {
    mkdirSync(profileDir, { recursive: true })
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, profileName('server'))
  }
  const server = new Child(SERVER, [stack, c.mode, ...(c.tls ? ['tls'] : [])], c.sameCpu ? 0 : 1, nodeArgs)
  let client: Child | undefined
  let failed = false
  const mem = async (): Promise<MemorySample> => {
    server.send('mem')
    return server.next<MemorySample>(deadline)
  }
  const io = async (): Promise<ServerSyscalls> => {
    server.send('io')
    return server.next<ServerSyscalls>(deadline)
  }
  try {
    const ready = await server.next<ServerReady>(deadline)
    let before: MemorySample | undefined
    if (c.flow === 'stall') {
      await sleep(200)
      before = await mem()
    }
    const ioBefore = c.syscalls === undefined ? undefined : await io()
    const clientArgs = profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, profileName('client')] : []
    client = new Child(CLIENT, [JSON.stringify(c.client(ready.port, row))], 0, clientArgs)
    const values: Record<string, number> = {}
    const details: Record<string, unknown> = {}
    if (c.flow === 'idle') {
      await client.next<ClientEvent>(deadline) // warmed
      await sleep(300)
      const base = await mem()
      client.send('continue')
      const ev = await client.next<ClientEvent>(deadline) // ready
      await sleep(500)
      const after = await mem()
      client.send('continue')
      const n = Number(ev.data?.connections)
      values.perConn = (after.rss - base.rss) / n / KiB
      details.heapPerConn = (after.heapUsed - base.heapUsed) / n
      details.externalPerConn = (after.external - base.external) / n
      details.baseRss = base.rss
    } else if (c.flow === 'stall' && before !== undefined) {
      const ev = await client.next<ClientEvent>(deadline) // stalled
      await sleep(300)
      const after = await mem()
      client.send('continue')
      values.rssGrowth = (after.rss - before.rss) / MiB
      values.sentBytes = Number(ev.data?.sent) / MiB
      details.peakGrowth = (after.maxRss - before.maxRss) / MiB
      details.stalled = ev.data?.stalled
    }
    const { result } = await client.next<{ result: ClientResult }>(deadline)
    Object.assign(values, c.flow === 'stall' ? {} : result.values)
    Object.assign(details, result.details)
    if (c.syscalls !== undefined && ioBefore !== undefined) {
      const ioAfter = await io()
      const serverCount = syscallsSince(ioBefore.io, ioAfter.io)
      perUnit(values, 'client', result.syscalls, c.syscalls.units)
      perUnit(values, 'server', serverCount, c.syscalls.units)
      // The server's CPU over the same span (a metric where the case lists `serverCpu`: D-PROXY).
      values.serverCpu = ioAfter.cpuMs - ioBefore.cpuMs
      details.syscalls = { client: result.syscalls ?? null, server: serverCount, ...c.syscalls }
    }
    if (c.flow === 'peak') values.peakRss = (await mem()).maxRss / MiB
    return { run, stack, client: clientName, values, details }
  } catch (err) {
    failed = true
    return { run, stack, client: clientName, error: err instanceof Error ? err.message : String(err) }
  } finally {
    // A client that printed its result exits by itself (writing its profile, if any).
    await client?.stop(undefined, failed ? 0 : 5000)
    await server.stop('exit')
  }
}

/** Runs a case's micro-benchmark once (a fresh process on CPU 1, where the servers run). */
async function runMicro(m: MicroBench, run: number, timeoutMs: number): Promise<MicroRecord> {
  const child = new Child(join(here, m.script), m.args, 1)
  let failed = false
  try {
    const { result } = await child.next<{ result: ClientResult }>(Date.now() + timeoutMs)
    return {
      run,
      values: result.values,
      ...(result.details === undefined ? {} : { details: result.details }),
    }
  } catch (err) {
    failed = true
    return { run, error: err instanceof Error ? err.message : String(err) }
  } finally {
    await child.stop(undefined, failed ? 0 : 5000)
  }
}

function microProgress(m: MicroBench, r: MicroRecord): string {
  if (r.error !== undefined) return `${m.title} FAILED (${r.error.split('\n')[0]})`
  const values = Object.entries(r.values ?? {}).map(
    ([label, v]) => `${label.replace(/ \(.*\)$/, '')} ${fmt(v)}`,
  )
  return `${m.unit}: ${values.join(', ')}`
}

/**
 * Lays the written files out as the repository's formatter does, so that `npm test`'s lint passes
 * on them (best effort: skipped when biome is not installed).
 */
function formatResults(dir: string): void {
  const files = ['latest.md', 'latest.json', 'latest.svg'].map((f) => join(dir, f))
  try {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', ...files], {
      cwd: ROOT,
      stdio: 'ignore',
    })
  } catch {
    // not formatted: harmless for the results themselves
  }
}

function progress(c: Case, r: RunRecord): string {
  const name = rowKey(r)
  if (r.error !== undefined) return `${name} FAILED (${r.error.split('\n')[0]})`
  const metrics = c.metrics.map((m) => `${fmt(r.values?.[m.key] ?? Number.NaN)} ${m.unit}`).join(', ')
  const w = r.values?.clientWrites
  const per = { MiB: 'MiB', message: 'msg', connection: 'conn' }[c.syscalls?.unit ?? 'message']
  return w === undefined ? `${name} ${metrics}` : `${name} ${metrics} (client ${fmt(w)} writes/${per})`
}

async function main(): Promise<void> {
  const opts = options()
  const started = Date.now()
  // A workload is selected by its group (A, B, TLS-B…); TLS selects every TLS workload.
  const selected = cases(opts.quick).filter(
    (c) =>
      opts.only === undefined ||
      opts.only.includes(c.group.toUpperCase()) ||
      (c.tls && opts.only.includes('TLS')),
  )
  if (selected.length === 0) throw new Error(`--only ${opts.only?.join(',')} selects no workload`)
  const info = machine()
  process.stdout.write(
    `it-socket bench (${opts.quick ? 'quick' : 'full'}, ${opts.runs} runs): ${info.cpu}, ${info.cores} cores, Node ${info.node}${canPin ? '' : ' (no taskset: not pinned)'}\n`,
  )
  const results: CaseResult[] = []
  for (const c of selected) {
    const records: RunRecord[] = []
    const micro: MicroRecord[] = []
    for (let run = 0; run < opts.runs; run++) {
      const order = c.rows.map((_, i) => c.rows[(i + run) % c.rows.length] as Row)
      const line: string[] = []
      for (const row of order) {
        const record = await runOnce(c, row, run, opts)
        records.push(record)
        line.push(progress(c, record))
      }
      if (c.micro !== undefined) {
        const record = await runMicro(c.micro, run, c.timeoutMs)
        micro.push(record)
        line.push(microProgress(c.micro, record))
      }
      process.stdout.write(`${c.id} run ${run + 1}/${opts.runs}: ${line.join(' | ')}\n`)
    }
    results.push(summarizeCase(c, records, micro))
  }
  info.load[1] = loadavg()[0] as number
  const argv = process.argv.slice(2)
  const all: Results = {
    machine: info,
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    quick: opts.quick,
    runs: opts.runs,
    seconds: (Date.now() - started) / 1000,
    cases: results,
    targets: checkTargets(TARGETS, results),
  }
  const md = markdown(all)
  process.stdout.write(`\n${md}`)
  mkdirSync(opts.out, { recursive: true })
  writeFileSync(join(opts.out, 'latest.md'), md)
  writeFileSync(join(opts.out, 'latest.json'), `${JSON.stringify(all, null, 2)}\n`)
  const subtitle = `${opts.quick ? 'quick' : 'full'} run, ${info.date.slice(0, 10)}, ${info.cpu}, ${info.cores} cores, Node ${info.node}; medians of ${opts.runs} runs, whiskers min–max`
  writeFileSync(join(opts.out, 'latest.svg'), chart(results, all.targets, subtitle))
  formatResults(opts.out)
  process.stdout.write(`\nWrote ${join(opts.out, 'latest.{md,json,svg}')}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  killAll()
  process.exit(1)
})
