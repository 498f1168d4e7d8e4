/**
 * The machine's side of the scale run: the descriptor limit (raised for this process, and so for the
 * children it spawns), the sysctls that bound many connections (read, and the port range widened
 * where it is too narrow and we may), and the kernel's TCP counters that show dropped SYNs.
 *
 * @module
 */

import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'

/** The descriptor limit asked for: Linux's default `fs.nr_open`. */
const WANTED_NOFILE = 1048576

const PORT_RANGE = '/proc/sys/net/ipv4/ip_local_port_range'

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim().replace(/\s+/g, ' ')
  } catch {
    return null
  }
}

/** This process's open-files limit (soft, hard), from `/proc/self/limits`. */
function nofile(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'))
  const [soft, hard] = (line ?? '').split(/\s+/).slice(3, 5).map(Number)
  return { soft: soft ?? 0, hard: hard ?? 0 }
}

/** Whether this process has CAP_SYS_RESOURCE (bit 24 of `CapEff`), which raising a hard limit takes. */
function canRaiseHardLimits(): boolean {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('CapEff:'))
    return ((BigInt(`0x${(line ?? '').split(/\s+/)[1] ?? '0'}`) >> 24n) & 1n) === 1n
  } catch {
    return false
  }
}

/** What `raiseFdLimit` found and did. */
export interface FdLimit {
  before: { soft: number; hard: number }
  after: { soft: number; hard: number }
  note: string
}

/**
 * Raises this process's open-files limit to `fs.nr_open` (at most 1,048,576) with `prlimit` on its
 * own pid: Node.js cannot call `setrlimit`, and children inherit the limit. Raising the hard limit
 * needs root (CAP_SYS_RESOURCE); without it, the soft limit goes up to the hard one.
 */
export function raiseFdLimit(): FdLimit {
  const before = nofile()
  const ceiling = Math.min(WANTED_NOFILE, Number(readProc('/proc/sys/fs/nr_open') ?? WANTED_NOFILE))
  let note = 'already high enough'
  if (before.soft < ceiling) {
    const pid = String(process.pid)
    try {
      execFileSync('prlimit', ['--pid', pid, `--nofile=${ceiling}:${ceiling}`], { stdio: 'pipe' })
      note = `raised with prlimit --nofile=${ceiling}:${ceiling}`
    } catch {
      try {
        execFileSync('prlimit', ['--pid', pid, `--nofile=${before.hard}:${before.hard}`], { stdio: 'pipe' })
        note = `hard limit not raised (${canRaiseHardLimits() ? 'prlimit refused' : 'no CAP_SYS_RESOURCE'}): soft limit at the hard one`
      } catch (err) {
        note = `prlimit failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`
      }
    }
  }
  return { before, after: nofile(), note }
}

/** The sysctls that bound how many connections one machine holds, as read (null where missing). */
export function sysctls(): Record<string, string | null> {
  const names = [
    'fs/nr_open',
    'fs/file-max',
    'net/core/somaxconn',
    'net/ipv4/tcp_max_syn_backlog',
    'net/ipv4/tcp_syncookies',
    'net/ipv4/ip_local_port_range',
    'net/ipv4/tcp_max_tw_buckets',
    'net/ipv4/tcp_mem',
    'net/netfilter/nf_conntrack_max',
  ]
  return Object.fromEntries(names.map((n) => [n.replaceAll('/', '.'), readProc(`/proc/sys/${n}`)]))
}

/**
 * Makes sure each source address has `perHost` ephemeral ports to spare: when
 * `ip_local_port_range` is narrower and we are root, widens it to 1024–65535 until this process
 * exits (then puts it back). Returns what it did, for the output.
 */
export function ensurePortRange(perHost: number): string {
  const range = readProc(PORT_RANGE)
  if (range === null) return 'ip_local_port_range: unreadable, left alone'
  const [lo, hi] = range.split(' ').map(Number)
  const size = (hi ?? 0) - (lo ?? 0) + 1
  if (size >= perHost) return `ip_local_port_range ${range}: ${size} ports per source address, enough`
  if (process.getuid?.() !== 0) {
    return `ip_local_port_range ${range}: ${size} ports per source address, ${perHost} wanted; not root, left alone`
  }
  writeFileSync(PORT_RANGE, '1024 65535')
  process.on('exit', () => writeFileSync(PORT_RANGE, range.replace(' ', '\t')))
  return `ip_local_port_range ${range} → 1024 65535 for this run (${perHost} ports wanted per source address: this run's and the previous stack's, still in TIME_WAIT), restored on exit`
}

/** The TcpExt counters that show a full accept queue or SYN queue, SYNs sent again, TIME_WAIT overflow. */
const COUNTERS = [
  'ListenOverflows',
  'ListenDrops',
  'TCPReqQFullDrop',
  'TCPReqQFullDoCookies',
  'SyncookiesSent',
  'TCPTimeWaitOverflow',
  'TCPSynRetrans',
] as const

/** A snapshot of the kernel's counters (of this network namespace: the client's side counts too). */
export type Counters = Record<(typeof COUNTERS)[number], number>

/** Reads the counters of `COUNTERS` from `/proc/net/netstat` (zeros where it cannot be read). */
export function tcpCounters(): Counters {
  const out = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Counters
  let text = ''
  try {
    text = readFileSync('/proc/net/netstat', 'utf8')
  } catch {
    // not Linux: zeros
  }
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'))
  const names = (lines[0] ?? '').split(' ').slice(1)
  const values = (lines[1] ?? '').split(' ').slice(1).map(Number)
  for (const c of COUNTERS) {
    const at = names.indexOf(c)
    if (at >= 0) out[c] = values[at] ?? 0
  }
  return out
}

/** `after − before`, counter by counter. */
export function countersSince(before: Counters, after: Counters): Counters {
  const out = { ...after }
  for (const key of Object.keys(out) as Array<keyof Counters>) out[key] = after[key] - before[key]
  return out
}
