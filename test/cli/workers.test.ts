/**
 * `it-socket listen --workers N`: node:cluster workers behind one port. Every connection is served
 * (both workers take some), a crashed worker is restarted up to the limit per minute, a failed start
 * stops everything with status 1, and SIGTERM (or one Ctrl-C to the whole process group) drains:
 * connections in flight finish.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect as netConnect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { RESTART_LIMIT } from '../../src/cli/workers.js'
import { echoText } from '../helpers/net.js'
import { deviates } from '../helpers/runtime.js'
import { sendSignal } from '../helpers/spawn.js'
import { type Child, cli, freePort, killAll, listeningPort, root, usageError } from './helpers.js'

afterEach(killAll)

/** Starts `listen 0 --echo --workers N ...`; resolves with the port and the workers' pids. */
async function startWorkers(
  n: number,
  extra: string[] = [],
): Promise<{ child: Child; port: number; pids: number[] }> {
  const child = cli(['listen', '0', '--echo', '--workers', String(n), ...extra])
  const port = await listeningPort(child)
  const match = await child.waitFor('stderr', /(\d+) workers listening \(pids ([\d, ]+)\)/)
  expect(Number(match[1])).toBe(n)
  return { child, port, pids: (match[2] as string).split(', ').map(Number) }
}

/** A connection that sent `first` and is waiting to send the rest: in flight. */
async function inFlight(port: number, first: string): Promise<{ finish: (rest: string) => Promise<string> }> {
  const socket = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true })
  await once(socket, 'connect')
  let received = ''
  socket.setEncoding('utf8').on('data', (d: string) => {
    received += d
  })
  socket.write(first)
  // Echoed: a worker has it.
  while (received.length < first.length) await once(socket, 'data')
  return {
    finish: async (rest) => {
      socket.end(rest)
      await once(socket, 'end')
      socket.destroy()
      return received
    },
  }
}

describe('listen --workers', () => {
  it('rejects a count that is not 1 to 256, and UDP', () => {
    for (const bad of ['0', '-1', '2.5', 'two', '257']) {
      expect(usageError(['listen', '0', '--workers', bad]).message).toContain('--workers')
    }
    expect(usageError(['listen', '0', '--udp', '--workers', '2']).message).toMatch(
      /--workers does not apply to --udp/,
    )
  })

  it('serves every connection from two workers, and SIGTERM drains those in flight', async () => {
    const { child, port } = await startWorkers(2)
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => echoText(port, `message ${i}`)))
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => `message ${i}`))
    const served = new Set(
      [...child.stderr().matchAll(/\[worker (\d)\] \S+ connected/g)].map((m) => m[1] as string),
    )
    expect([...served].sort()).toEqual(['1', '2'])

    const pending = await inFlight(port, 'first half, ')
    sendSignal(child.process, 'SIGTERM')
    await child.waitFor('stderr', 'SIGTERM: draining 2 workers')
    expect(await pending.finish('second half')).toBe('first half, second half')
    expect(await child.exited).toBe(0)
    expect(child.stderr()).toContain('every worker closed')
  })

  it('restarts a crashed worker, then gives up past the limit per minute', async () => {
    const { child, port, pids } = await startWorkers(2)
    let pid = pids[0] as number
    for (let crash = 1; crash <= RESTART_LIMIT; crash++) {
      process.kill(pid, 'SIGKILL')
      const restarts = await waitForCount(child, /worker 1 \(pid (\d+)\) listening again/g, crash)
      pid = Number(restarts.at(-1)?.[1])
      expect(pid).not.toBe(pids[0])
      // The server still answers, from either worker.
      expect(await echoText(port, `after crash ${crash}`)).toBe(`after crash ${crash}`)
    }
    expect(child.stderr()).toMatch(/worker 1 \(pid \d+\) was killed by SIGKILL: restarting it/)
    process.kill(pid, 'SIGKILL')
    await child.waitFor('stderr', `crashes within a minute (limit ${RESTART_LIMIT}): giving up`)
    expect(await child.exited).toBe(1)
  })

  it('exits 1 when the workers cannot listen, naming the address', async () => {
    const holder = cli(['listen', '0', '--echo'])
    const port = await listeningPort(holder)
    const child = cli(['listen', String(port), '--echo', '--workers', '2'])
    expect(await child.exited).toBe(1)
    expect(child.stderr()).toMatch(new RegExp(`\\[worker \\d\\] Cannot listen on 127\\.0\\.0\\.1:${port}`))
    expect(child.stderr()).toMatch(/before listening: stopping the others/)
    sendSignal(holder.process, 'SIGTERM')
    expect(await holder.exited).toBe(0)
  })

  it('drains on one Ctrl-C to the process group, though every worker gets the SIGINT too', async () => {
    const port = await freePort()
    const group = spawn(
      process.execPath,
      ['dist/src/cli/main.js', 'listen', String(port), '--echo', '--workers', '2'],
      { cwd: root, detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
    )
    try {
      let stderr = ''
      group.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d
      })
      const exited = once(group, 'exit')
      while (!/2 workers listening/.test(stderr)) await once(group.stderr, 'data')
      const pending = await inFlight(port, 'typed before Ctrl-C, ')
      process.kill(-(group.pid as number), 'SIGINT')
      while (!/SIGINT: draining/.test(stderr)) await once(group.stderr, 'data')
      expect(await pending.finish('and after')).toBe('typed before Ctrl-C, and after')
      const [code] = await exited
      if (deviates('deno-cluster-worker-exit-signal') && code === 1) {
        // The worker drained and closed ('server closed'), then was reported as killed by SIGINT.
        expect(stderr).toMatch(/worker \d \(pid \d+\) was killed by SIGINT while draining/)
        expect(stderr.match(/\[worker \d\] server closed/g)).toHaveLength(2)
      } else expect(code, stderr).toBe(0)
      expect(stderr).not.toContain('closing every connection now')
    } finally {
      if (group.exitCode === null) process.kill(-(group.pid as number), 'SIGKILL')
    }
  })
})

/** Waits until `pattern` matches `n` times in the child's stderr; returns the matches. */
async function waitForCount(child: Child, pattern: RegExp, n: number): Promise<RegExpExecArray[]> {
  for (;;) {
    const matches = [...child.stderr().matchAll(pattern)]
    if (matches.length >= n) return matches
    await child.waitFor('stderr', new RegExp(`(?:${pattern.source}[^]*){${matches.length + 1}}`))
  }
}
