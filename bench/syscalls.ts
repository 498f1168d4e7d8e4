/**
 * Syscall counts of the current process, so that the report shows writes and reads per message: a
 * regression to one `write(2)` per message is visible in the table, not only in `strace`.
 *
 * Linux keeps them in `/proc/self/io` (`syscr`, `syscw`: every thread of the process, counted
 * whether the call went to a socket, a pipe or a file). Elsewhere, or where that file cannot be
 * read, the counts are null and the report says "n/a".
 *
 * @module
 */

import { readFileSync } from 'node:fs'
import type { SyscallCount } from './protocol.js'

/** The process's read and write syscalls so far, or null where `/proc/self/io` cannot be read. */
export function syscalls(): SyscallCount | null {
  let text: string
  try {
    text = readFileSync('/proc/self/io', 'latin1')
  } catch {
    return null
  }
  const reads = /^syscr:\s*(\d+)$/m.exec(text)?.[1]
  const writes = /^syscw:\s*(\d+)$/m.exec(text)?.[1]
  if (reads === undefined || writes === undefined) return null
  return { reads: Number(reads), writes: Number(writes) }
}

/** The syscalls made between two samples, or null when either is missing. */
export function syscallsSince(before: SyscallCount | null, after: SyscallCount | null): SyscallCount | null {
  if (before === null || after === null) return null
  return { reads: after.reads - before.reads, writes: after.writes - before.writes }
}
