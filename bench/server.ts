/**
 * One benchmark server process: `node dist/bench/server.js <stack> <mode> [tls]`. `tls` serves TLS
 * with the test certificate (`raw-tls` always does; the it-* stack and `raw-net` never do).
 * `it-socket-proxy` is the it-socket server with `proxyProtocol: true`: every client must send a
 * PROXY header first (`ClientSpec.proxyHeader`).
 *
 * Prints `{"port":…,"pid":…}` once listening, then answers commands on stdin, one per line:
 * `mem` prints a `MemorySample` (after two forced GCs when run with `--expose-gc`), `io` prints its
 * read and write syscalls so far and its CPU time (`ServerSyscalls`; the counts are null where
 * `/proc/self/io` is missing), `heap <path>`
 * writes a heap snapshot there and prints `{"path":…}`, `exit` exits
 * (normally, so that `--cpu-prof` writes its profile).
 * `conns` prints `{"conns":…}`: the TCP connections it holds open, whatever the stack (`bench/scale.ts`).
 *
 * @module
 */

import { createInterface } from 'node:readline'
import { writeHeapSnapshot } from 'node:v8'
import { itSocketServer } from './it-socket-stack.js'
import { itStackServer } from './it-stack.js'
import {
  type MemorySample,
  type ServerMode,
  type ServerReady,
  type ServerSyscalls,
  STACKS,
  type StackName,
} from './protocol.js'
import { rawServer } from './raw-net.js'
import { syscalls } from './syscalls.js'

const MODES: readonly ServerMode[] = ['bytes', 'lp', 'u32', 'lines', 'paused']

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

async function start(stack: StackName, mode: ServerMode, tls: boolean): Promise<number> {
  if (stack.startsWith('it-socket')) {
    const server = await itSocketServer(mode, tls, {
      proxy: stack === 'it-socket-proxy',
      ...(stack === 'it-socket-lf' ? { lengthField: 'strip' } : {}),
      ...(stack === 'it-socket-lf-keep' ? { lengthField: 'keep' } : {}),
      ...(stack === 'it-socket-observed' ? { observed: true } : {}),
    })
    const address = server.address
    if (!('port' in address)) throw new Error('expected a TCP address')
    return address.port
  }
  if (mode === 'u32') throw new Error(`the ${stack} stack has no u32 mode`)
  if (stack === 'raw-tls' && mode !== 'bytes' && mode !== 'lp') {
    throw new Error(`the raw node:tls server has no ${mode} mode`)
  }
  if (tls && stack !== 'raw-tls') throw new Error(`the ${stack} stack has no TLS server`)
  if (stack === 'it-stack' && mode === 'paused') throw new Error('the it-* stack has no paused mode')
  const server =
    stack === 'raw-net'
      ? await rawServer(mode)
      : stack === 'raw-tls'
        ? await (await import('./raw-tls.js')).rawTlsServer(mode as 'bytes' | 'lp')
        : await itStackServer(mode as 'bytes' | 'lp' | 'lines')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address')
  return address.port
}

async function main(): Promise<void> {
  const [stack, mode, transport] = process.argv.slice(2) as [StackName, ServerMode, string | undefined]
  if (!STACKS.includes(stack) || !MODES.includes(mode) || (transport !== undefined && transport !== 'tls')) {
    throw new Error(`usage: server.js <${STACKS.join('|')}> <${MODES.join('|')}> [tls]`)
  }
  const port = await start(stack, mode, transport === 'tls' || stack === 'raw-tls')
  const ready: ServerReady = { port, pid: process.pid }
  process.stdout.write(`${JSON.stringify(ready)}\n`)
  const input = createInterface({ input: process.stdin })
  input.on('line', (line) => {
    const command = line.trim()
    if (command === 'mem') process.stdout.write(`${JSON.stringify(memory())}\n`)
    else if (command === 'io') {
      const cpu = process.cpuUsage()
      const answer: ServerSyscalls = { io: syscalls(), cpuMs: (cpu.user + cpu.system) / 1000 }
      process.stdout.write(`${JSON.stringify(answer)}\n`)
    } else if (command === 'conns') {
      // Open TCP connections of this process, whatever the stack (the listener is a TCPServerWrap).
      const conns = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
      process.stdout.write(`${JSON.stringify({ conns })}\n`)
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
