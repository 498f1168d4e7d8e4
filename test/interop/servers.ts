import type { ChildProcess } from 'node:child_process'
import { chownSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '../cli/helpers.js'
import { canConnect, tempDir, until } from '../helpers/net.js'
import { peerProcess } from './helpers.js'
import type { ToolName } from './required-tools.js'

// The servers we did not write that the protocol interop tests talk to (Redis, PostgreSQL,
// Mosquitto): each started by the test on a port of 127.0.0.1 picked free, in a temp dir of its own,
// waited for (bounded) until its log says it is ready and a connection succeeds, and stopped by
// `stop()` (in afterAll): its stop signal, SIGKILL if it has not exited within a bound, then the temp
// dir removed. A server that fails to start is stopped and its dir removed before the error is thrown.

/** How long a server may take to start (initdb included), and to exit once signalled. */
const START_MS = 60_000
const STOP_MS = 10_000

/** A server started by a test. */
export interface RunningServer {
  /** What it is, for messages: `redis-server`. */
  readonly name: string
  /** Its TCP port on 127.0.0.1. */
  readonly port: number
  /** Its temp dir (data, config, Unix sockets), removed by `stop()`. */
  readonly dir: string
  /** What it printed so far, stdout and stderr interleaved. */
  output(): string
  /** Signals it, waits for its exit (SIGKILL after a bound), removes its dir. Idempotent. */
  stop(): Promise<void>
}

/** A PostgreSQL server: `port` on 127.0.0.1, and its Unix socket. */
export interface PostgresServer extends RunningServer {
  /** The Unix socket, `DIR/.s.PGSQL.PORT`. */
  readonly socketPath: string
  /** The user `initdb -U` made, with trust authentication. */
  readonly user: string
}

/** `redis-server` on a free port, without persistence and without a config file. */
export async function startRedis(): Promise<RunningServer> {
  const { dir, cleanup } = tempDir()
  const port = await freePort()
  // `--save ''` turns snapshots off; `--dir` keeps anything it writes in the temp dir.
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ]
  return start({
    tool: 'redis-server',
    args,
    dir,
    cleanup,
    port,
    stopSignal: 'SIGTERM',
    ready: /Ready to accept connections/,
  })
}

/** `mosquitto -c FILE` with a listener on a free port, anonymous clients allowed, no persistence. */
export async function startMosquitto(): Promise<RunningServer> {
  const { dir, cleanup } = tempDir()
  const port = await freePort()
  const config = join(dir, 'mosquitto.conf')
  writeFileSync(
    config,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', ''].join(
      '\n',
    ),
  )
  return start({
    tool: 'mosquitto',
    args: ['-c', config],
    dir,
    cleanup,
    port,
    stopSignal: 'SIGTERM',
    ready: /mosquitto version \S+ running/,
  })
}

/**
 * A PostgreSQL cluster made by `initdb -A trust -U postgres` in a temp dir, served by `postgres` on
 * a free port of 127.0.0.1 and a Unix socket in that dir, `fsync` off. Run as the `postgres` system
 * user when we are root (PostgreSQL refuses root), else as ourselves. Stopped with SIGINT, the
 * postmaster's "fast shutdown" (SIGTERM's "smart shutdown" would wait for clients to leave).
 */
export async function startPostgres(): Promise<PostgresServer> {
  const { dir, cleanup } = tempDir()
  const user = 'postgres'
  try {
    const owner = runAs('postgres')
    if (owner !== undefined) chownSync(dir, owner.uid, owner.gid)
    const data = join(dir, 'data')
    const env = { ...process.env, LC_ALL: 'C', LANG: 'C' }
    const initdb = peerProcess(
      'initdb',
      ['-D', data, '-A', 'trust', '-U', user, '-E', 'UTF8', '--locale=C', '--no-sync'],
      { cwd: dir, env, ...owner },
    )
    const log = collect(initdb)
    const code = await watchExit(initdb).within(START_MS)
    if (code === undefined) initdb.kill('SIGKILL')
    if (code !== 0)
      throw new Error(`initdb ${code === undefined ? 'timed out' : `exited with ${code}`}:\n${log()}`)
    const port = await freePort()
    const args = [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-k',
      dir,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=20',
      '-c',
      'shared_buffers=16MB',
    ]
    const server = await start({
      tool: 'postgres',
      args,
      dir,
      cleanup,
      port,
      stopSignal: 'SIGINT',
      ready: /database system is ready to accept connections/,
      env,
      owner,
    })
    return { ...server, socketPath: join(dir, `.s.PGSQL.${port}`), user }
  } catch (err) {
    cleanup()
    throw err
  }
}

/**
 * The uid and gid of the system user `name` when we are root, from /etc/passwd; `undefined` when
 * we are not root (then the server runs as ourselves).
 */
function runAs(name: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`))
  const fields = line?.split(':')
  if (fields === undefined || fields.length < 4) {
    throw new Error(
      `running as root, and there is no ${name} user to run the server as (the postgresql package creates it)`,
    )
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]) }
}

interface StartOptions {
  tool: ToolName
  args: string[]
  dir: string
  cleanup: () => void
  port: number
  stopSignal: NodeJS.Signals
  /** The log line that says it is ready (a connection must succeed too). */
  ready: RegExp
  env?: NodeJS.ProcessEnv
  owner?: { uid: number; gid: number } | undefined
}

async function start(options: StartOptions): Promise<RunningServer> {
  const { tool, dir, port } = options
  const child = peerProcess(tool, options.args, { cwd: dir, env: options.env, ...options.owner })
  const output = collect(child)
  const exit = watchExit(child)
  let stopping: Promise<void> | undefined
  const server: RunningServer = {
    name: tool,
    port,
    dir,
    output,
    stop: () => {
      stopping ??= (async () => {
        try {
          if (exit.now() === undefined) {
            child.kill(options.stopSignal)
            if ((await exit.within(STOP_MS)) === undefined) {
              child.kill('SIGKILL')
              await exit.within(STOP_MS)
            }
          }
        } finally {
          options.cleanup()
        }
      })()
      return stopping
    },
  }
  try {
    await until(
      async () => {
        const code = exit.now()
        if (code !== undefined) throw new Error(`${tool} exited (${code}) before it was ready`)
        return options.ready.test(output()) && (await canConnect(port))
      },
      START_MS,
      `${tool} to accept connections on 127.0.0.1:${port}`,
    )
  } catch (err) {
    await server.stop()
    throw new Error(`${(err as Error).message}; its output:\n${output()}`)
  }
  return server
}

/** Collects a child's stdout and stderr, interleaved. */
function collect(child: ChildProcess): () => string {
  let text = ''
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8').on('data', (data: string) => {
      text += data
    })
  }
  child.on('error', (err) => {
    text += `\n[${err.message}]`
  })
  return () => text
}

/** A child's exit, watched from its spawn: its code, signal name, or spawn error message. */
interface Exit {
  /** Its exit, or `undefined` while it runs. */
  now(): number | string | undefined
  /** Waits at most `ms` for its exit; `undefined` if it still runs. */
  within(ms: number): Promise<number | string | undefined>
}

function watchExit(child: ChildProcess): Exit {
  let result: number | string | undefined
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'exit'))
    child.once('error', (err) => resolve(err.message))
  }).then((value) => {
    result = value
    return value
  })
  return {
    now: () => result,
    within: async (ms) => {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms)
      })
      try {
        return await Promise.race([exited, late])
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
