import type { ConnectionStats, ServerStats } from 'it-socket'

/** `listen --stats` without a value: a line every 10 seconds. */
export const DEFAULT_STATS_SECONDS = 10

/** The longest `--stats` interval, in seconds: a day. */
export const MAX_STATS_SECONDS = 86_400

/**
 * The line `listen --stats` logs, from `server.stats`: always the same fields in the same order,
 * counts as plain integers, bytes in B, KiB, MiB… (1024s), and the failures by error code sorted by
 * code (`errors: none` when there are none), so that `grep 'stats:'` and a diff of two lines work:
 *
 * `stats: 3 active (peak 5), 0 pending, 120 accepted, 117 closed, 0 refused busy, 0 handshake
 * failures, 12.3 KiB in, 45.6 KiB out, errors: ERR_CONNECTION_RESET=2, ERR_TIMEOUT=1`
 */
export function serverStatsLine(stats: ServerStats): string {
  return [
    `stats: ${stats.active} active (peak ${stats.peakActive})`,
    `${stats.pending} pending`,
    `${stats.accepted} accepted`,
    `${stats.closed} closed`,
    `${stats.refusedBusy} refused busy`,
    `${stats.handshakeFailures} handshake failures`,
    `${formatBytes(stats.bytesRead)} in`,
    `${formatBytes(stats.bytesWritten)} out`,
    `errors: ${formatErrors(stats.errors)}`,
  ].join(', ')
}

/** The line `connect --verbose` logs at exit, from `conn.stats`: `closed: 6 B sent, 1.2 KiB received in 35 ms`. */
export function connectionStatsLine(stats: ConnectionStats): string {
  return `closed: ${formatBytes(stats.bytesWritten)} sent, ${formatBytes(stats.bytesRead)} received in ${formatDuration(stats.durationMs)}`
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const

/** `512 B`, `1.5 KiB`, `12.3 MiB`: exact below 1 KiB, one decimal above. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  let value = bytes / 1024
  let unit = 0
  // Compare what will be printed: 1023.97 KiB is 1.0 MiB, not 1024.0 KiB.
  while (Number(value.toFixed(1)) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`
}

/** `35 ms` below a second, `1.23 s` from then on. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`
}

/** `ERR_CONNECTION_RESET=2, ERR_TIMEOUT=1`, sorted by code; `none` when empty. */
function formatErrors(errors: Readonly<Record<string, number>>): string {
  const entries = Object.entries(errors).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return entries.length === 0 ? 'none' : entries.map(([code, count]) => `${code}=${count}`).join(', ')
}
