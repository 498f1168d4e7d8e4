import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Child, runNode } from '../helpers/spawn.js'
import {
  type PostgresServer,
  type RunningServer,
  startMosquitto,
  startPostgres,
  startRedis,
} from './servers.js'

// The protocol examples (examples/redis-pipeline.ts, postgres-query.ts, mqtt-pubsub.ts), built by
// `npm run test:interop` into dist/examples/, run as a person would against the real servers of
// ./servers.ts, each started once for this file.
let redis: RunningServer | undefined
let pg: PostgresServer | undefined
let mosquitto: RunningServer | undefined
beforeAll(async () => {
  // One after another: a server that fails to start leaves the others to afterAll.
  redis = await startRedis()
  pg = await startPostgres()
  mosquitto = await startMosquitto()
}, 180_000)
afterAll(async () => {
  await Promise.all([redis?.stop(), pg?.stop(), mosquitto?.stop()])
}, 60_000)

const children: Child[] = []
afterAll(() => {
  for (const child of children.splice(0)) if (child.process.exitCode === null) child.process.kill('SIGKILL')
})

/** Runs `dist/examples/<script>`; resolves with its stdout once it exited 0 (within 30 s). */
async function example(script: string, args: string[]): Promise<string> {
  const child = runNode(`dist/examples/${script}`, args)
  children.push(child)
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('still running after 30 s'), 30_000)
  })
  const code = await Promise.race([child.exited, late]).finally(() => clearTimeout(timer))
  if (code !== 0) throw new Error(`${script}: ${code}; stdout ${child.stdout()}, stderr ${child.stderr()}`)
  return child.stdout()
}

function port(server: RunningServer | undefined): string {
  if (server === undefined) throw new Error('the server did not start')
  return String(server.port)
}

describe('the protocol examples against real servers', () => {
  it('redis-pipeline: 1,000 pipelined INCRs, the last is 1000', async () => {
    const stdout = await example('redis-pipeline.js', [port(redis)])
    expect(stdout).toBe('1000 replies, last INCR: 1000\n')
  })

  it('postgres-query: SELECT 6*7 prints 42', async () => {
    const stdout = await example('postgres-query.js', [port(pg), 'postgres'])
    expect(stdout).toBe('42\n')
  })

  it('mqtt-pubsub: the message published comes back to the subscriber', async () => {
    expect(await example('mqtt-pubsub.js', [port(mosquitto)])).toBe('it-socket/example: hello, mqtt\n')
    const stdout = await example('mqtt-pubsub.js', [port(mosquitto), 'sensors/ünïcode', 'température: 21 °C'])
    expect(stdout).toBe('sensors/ünïcode: température: 21 °C\n')
  })
})
