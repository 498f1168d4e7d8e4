import { spawnSync } from 'node:child_process'
import { accessSync, constants, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/**
 * The programs we did not write that the interop tests talk to, and how to get each. `npm test`
 * needs none of them; `npm run test:interop` needs all of them, and this list is checked once,
 * before its first test (the globalSetup of vitest.interop.config.ts). A test runs a tool only
 * through `peer(name)` (./helpers.ts), which accepts only the names listed here.
 */
export const TOOLS = [
  {
    name: 'nc',
    package: 'netcat-openbsd',
    what: 'OpenBSD netcat, the peer of the nc tests',
    probe: ['-h'],
    // Other netcats (traditional, ncat, busybox) have no -N, which the tests use to half-close.
    fits: (help: string) => /^\s*-N\s/m.test(help),
    unfit: 'is not OpenBSD netcat (its `nc -h` lists no -N)',
  },
  {
    name: 'python3',
    package: 'python3',
    what: "runs the seed's Python echo programs and the TLS peer (ssl module), test/interop/fixtures/*.py",
    // Prints its version and its ssl module's OpenSSL: tls_peer.py needs the module.
    probe: ['-c', 'import sys, ssl; print("Python", sys.version.split()[0], ssl.OPENSSL_VERSION)'],
    fits: (version: string) => /^Python 3\.\S+ OpenSSL /m.test(version),
    unfit: 'is not Python 3 with its ssl module',
  },
  {
    name: 'openssl',
    package: 'openssl',
    what: "OpenSSL's s_server and s_client, the TLS peers of the tls-openssl and STARTTLS tests",
    probe: ['version'],
    // -alpn, -noservername, -starttls smtp and TLS 1.3 came with OpenSSL 1.1.1 (LibreSSL differs).
    fits: (version: string) => /^OpenSSL (1\.1\.1|[3-9]\.)/m.test(version),
    unfit: 'is not OpenSSL 1.1.1 or later (`openssl version`)',
  },
  {
    name: 'socat',
    package: 'socat',
    what: 'socat OPENSSL: and OPENSSL-LISTEN:, the TLS peers of the tls-socat tests',
    probe: ['-V'],
    // A socat built without OpenSSL has no OPENSSL addresses.
    fits: (features: string) => /^\s*#define WITH_OPENSSL 1\b/m.test(features),
    unfit: 'was built without OpenSSL (its `socat -V` lacks WITH_OPENSSL 1)',
  },
  {
    name: 'haproxy',
    package: 'haproxy',
    what: 'the load balancer in front of it-socket servers in the PROXY protocol tests (send-proxy, send-proxy-v2)',
    probe: ['-v'],
    // `HAProxy version 2.6.12-1+deb12u4 …`; `-db`, `send-proxy-v2` and `check inter` as the tests use them.
    fits: (version: string) => /^HAProxy version ([2-9]|\d{2,})\./m.test(version),
    unfit: 'is not HAProxy 2 or later (`haproxy -v`)',
    // Debian installs it in /usr/sbin, which a user's PATH may lack.
    dirs: () => ['/usr/sbin'],
    offPath: '/usr/sbin',
  },
  {
    name: 'redis-server',
    package: 'redis-server',
    what: 'the Redis server the resp() tests and examples/redis-pipeline.ts talk to',
    probe: ['--version'],
    // `Redis server v=7.0.15 …`; HELLO 3 (RESP3) came with Redis 6.
    fits: (version: string) => /^Redis server v=([6-9]|\d{2,})\./m.test(version),
    unfit: 'is not Redis 6 or later (`redis-server --version`), which RESP3 needs',
  },
  {
    name: 'initdb',
    package: 'postgresql',
    what: 'creates the PostgreSQL cluster of the postgres() tests (Debian keeps it in /usr/lib/postgresql/*/bin, off PATH)',
    probe: ['--version'],
    // `initdb (PostgreSQL) 15.18 …`; protocol 3.0 and the flags the tests use are in every supported release.
    fits: (version: string) => /^initdb \(PostgreSQL\) (1\d|[2-9]\d)\./m.test(version),
    unfit: 'is not PostgreSQL 10 or later (`initdb --version`)',
    dirs: postgresBinDirs,
    offPath: '/usr/lib/postgresql/*/bin',
  },
  {
    name: 'postgres',
    package: 'postgresql',
    what: 'the PostgreSQL server the postgres() tests and examples/postgres-query.ts talk to',
    probe: ['--version'],
    fits: (version: string) => /^postgres \(PostgreSQL\) (1\d|[2-9]\d)\./m.test(version),
    unfit: 'is not PostgreSQL 10 or later (`postgres --version`)',
    dirs: postgresBinDirs,
    offPath: '/usr/lib/postgresql/*/bin',
  },
  {
    name: 'mosquitto',
    package: 'mosquitto',
    what: 'the MQTT broker the mqtt() tests and examples/mqtt-pubsub.ts talk to',
    // Prints `mosquitto version 2.0.11` and its usage (and exits 3).
    probe: ['-h'],
    // 2.0 made a `listener` without `allow_anonymous true` refuse clients: the tests' config says both.
    fits: (help: string) => /^mosquitto version ([2-9]|\d{2,})\./m.test(help),
    unfit: 'is not Mosquitto 2 or later (`mosquitto -h`)',
    // Debian installs it in /usr/sbin, which a user's PATH may lack.
    dirs: () => ['/usr/sbin'],
    offPath: '/usr/sbin',
  },
] as const

/**
 * Debian's and Ubuntu's `postgresql` package keeps its programs in /usr/lib/postgresql/VERSION/bin,
 * off PATH (its wrappers in /usr/bin manage the system's clusters, not ours): newest first.
 */
function postgresBinDirs(): string[] {
  const base = '/usr/lib/postgresql'
  let versions: string[]
  try {
    versions = readdirSync(base).filter((name) => /^\d+(\.\d+)?$/.test(name))
  } catch {
    return []
  }
  return versions.sort((a, b) => Number(b) - Number(a)).map((version) => join(base, version, 'bin'))
}

type Tool = (typeof TOOLS)[number]

/** The name of a tool the interop tests may run. */
export type ToolName = Tool['name']

/** Whether `file` is a program we may run. */
function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The command that runs `name`: its bare name when it is on PATH, else its path in the first of the
 * tool's `dirs` (where its package puts it off PATH) that has it, else its bare name (which then
 * fails with ENOENT, reported as missing).
 */
export function toolCommand(name: ToolName): string {
  const tool: Tool | undefined = TOOLS.find((candidate) => candidate.name === name)
  if (tool === undefined) throw new Error(`${name} is not one of the interop tools (required-tools.ts)`)
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '')
  if (path.some((dir) => executable(join(dir, name)))) return name
  const dirs = 'dirs' in tool ? tool.dirs() : []
  const dir = dirs.find((candidate) => executable(join(candidate, name)))
  return dir === undefined ? name : join(dir, name)
}

/** A tool that is missing, or cannot run, or is not the one the tests need. */
export interface ToolProblem {
  tool: Tool
  /** One line for a person, with the command that installs the tool. */
  line: string
}

/**
 * Runs each tool's probe (`nc -h`, `python3 -c 'import ssl…'`, `openssl version`, `socat -V`,
 * `haproxy -v`, `redis-server --version`, `initdb --version`, `postgres --version`, `mosquitto -h`)
 * and reports those that will not do.
 */
export function toolProblems(): ToolProblem[] {
  const problems: ToolProblem[] = []
  for (const tool of TOOLS) {
    const { error, stdout, stderr } = spawnSync(toolCommand(tool.name), tool.probe, {
      encoding: 'utf8',
      timeout: 10_000,
    })
    const where = 'offPath' in tool ? ` (looked on PATH and in ${tool.offPath})` : ''
    const install = `install it with \`apt-get install ${tool.package}\` (${tool.what})`
    const code = (error as NodeJS.ErrnoException | undefined)?.code
    if (code === 'ENOENT') problems.push({ tool, line: `missing tool: ${tool.name}${where} — ${install}` })
    else if (error !== undefined)
      problems.push({ tool, line: `cannot run ${tool.name}: ${error.message} — ${install}` })
    else if (!tool.fits(`${stdout}${stderr}`))
      problems.push({ tool, line: `${tool.name} ${tool.unfit} — ${install}` })
  }
  return problems
}

/**
 * vitest's globalSetup for the interop tests: ends the run before any test starts, naming every
 * missing tool in one message, rather than failing test by test with `spawn nc ENOENT` (and never
 * skipping: a run that tested nothing must not pass). It exits instead of throwing: vitest would
 * print "No test files found" and a banner above a thrown error, burying the one thing to do.
 */
export default function setup(): void {
  const problems = toolProblems()
  if (problems.length === 0) return
  const packages = [...new Set(problems.map(({ tool }) => tool.package))].join(' ')
  process.stderr.write(
    [
      '',
      'npm run test:interop needs programs that are not usable here:',
      ...problems.map(({ line }) => `  ${line}`),
      `On Debian or Ubuntu, as root: apt-get update && apt-get install -y ${packages}`,
      '(npm test needs none of them: Node.js and npm only.)',
      '',
    ].join('\n'),
  )
  process.exit(1)
}
