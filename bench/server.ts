/**
 * One benchmark server process: `node dist/bench/server.js <stack> <mode>`.
 *
 * Prints `{"port":…,"pid":…}` once listening, then answers commands on stdin, one per line:
 * `mem` prints a `MemorySample` (after two forced GCs when run with `--expose-gc`), `io` prints its
 * read and write syscalls so far (`ServerSyscalls`, null where `/proc/self/io` is missing), `heap <path>`
 * writes a heap snapshot there and prints `{"path":…}`, `exit` exits
 * (normally, so that `--cpu-prof` writes its profile).
 *
 * @module
 */

import { createInterface } from 'node:readline'
import { writeHeapSnapshot } from 'node:v8'
import { itSocketServer } from './it-socket-stack.js'
import { itStackServer } from './it-stack.js'
import type { MemorySample, ServerMode, ServerReady, ServerSyscalls, StackName } from './protocol.js'
import { rawServer } from './raw-net.js'
import { syscalls } from './syscalls.js'

const MODES: readonly ServerMode[] = ['bytes', 'lp', 'lines', 'paused']

function memory(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return {
    rss: m.rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  }
}

async function start(stack: StackName, mode: ServerMode): Promise<number> {
  if (stack === 'it-socket') {
    const server = await itSocketServer(mode)
    const address = server.address
    if (!('port' in address)) throw new Error('expected a TCP address')
    return address.port
  }
  if (stack === 'it-stack' && mode === 'paused') throw new Error('the it-* stack has no paused mode')
  const server =
    stack === 'raw-net' ? await rawServer(mode) : await itStackServer(mode as 'bytes' | 'lp' | 'lines')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address')
  return address.port
}

async function main(): Promise<void> {
  const [stack, mode] = process.argv.slice(2) as [StackName, ServerMode]
  if (!['it-socket', 'raw-net', 'it-stack'].includes(stack) || !MODES.includes(mode)) {
    throw new Error(`usage: server.js <it-socket|raw-net|it-stack> <${MODES.join('|')}>`)
  }
  const port = await start(stack, mode)
  const ready: ServerReady = { port, pid: process.pid }
  process.stdout.write(`${JSON.stringify(ready)}\n`)
  const input = createInterface({ input: process.stdin })
  input.on('line', (line) => {
    const command = line.trim()
    if (command === 'mem') process.stdout.write(`${JSON.stringify(memory())}\n`)
    else if (command === 'io') {
      const answer: ServerSyscalls = { io: syscalls() }
      process.stdout.write(`${JSON.stringify(answer)}\n`)
    } else if (command.startsWith('heap ')) {
      ;(globalThis as { gc?: () => void }).gc?.()
      process.stdout.write(`${JSON.stringify({ path: writeHeapSnapshot(command.slice(5)) })}\n`)
    } else if (command === 'exit') process.exit(0)
  })
  // The orchestrator going away closes stdin: do not outlive it.
  input.on('close', () => process.exit(0))
}

main().catch((err: unknown) => {
  process.stderr.write(`server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
