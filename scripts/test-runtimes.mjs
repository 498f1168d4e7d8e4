// `npm run test:runtimes [-- --only node22,bun] [-- vitest args]`: the whole `npm test` suite
// (vitest, without the interop tests) on every runtime users run, each fetched from the npm
// registry into a cache folder outside the repository, never committed:
//   $IT_SOCKET_RUNTIMES, else $XDG_CACHE_HOME/it-socket/runtimes, else ~/.cache/it-socket/runtimes.
// Node.js 22, 24 and 26 come from `node-<platform>-<arch>`, Bun from `bun`, Deno from `deno` (each
// with its platform's binary as an optional dependency). Vitest itself runs on the runtime under
// test, so every test, and every child process a test spawns (process.execPath), runs there too.
// Versions are pinned: a new one is a deliberate change, with docs/RUNTIMES.md checked against it.
// Builds first (`npm run build`, on the machine's Node.js): tests of the CLI and examples run dist/.
// Exits non-zero if any runtime fails; prints one summary line per runtime.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { platform, RUNTIMES } from './test-runtimes-matrix.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const cache =
  process.env.IT_SOCKET_RUNTIMES ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'it-socket', 'runtimes')

function parse(argv) {
  let only
  const rest = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') only = argv[++i]?.split(',')
    else rest.push(argv[i])
  }
  const unknown = (only ?? []).filter((name) => !RUNTIMES.some((r) => r.name === name))
  if (unknown.length > 0) {
    console.error(
      `test:runtimes: unknown runtime ${unknown.join(', ')}: expected ${RUNTIMES.map((r) => r.name).join(', ')}`,
    )
    process.exit(2)
  }
  return { only, vitestArgs: rest }
}

/** Finds the executable `name` below `dir` (the platform package's layout differs per runtime). */
function findBinary(dir, name) {
  // Scoped packages first: `bun` has a placeholder `bin/bun` that only its install script replaces;
  // the real binary is in its platform package, @oven/bun-<platform>-<arch>.
  const entries = readdirSync(dir, { withFileTypes: true }).sort(
    (a, b) => Number(!a.name.startsWith('@')) - Number(!b.name.startsWith('@')),
  )
  for (const entry of entries) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      const found = findBinary(path, name)
      if (found !== undefined) return found
    } else if (entry.name === name && (statSync(path).mode & 0o111) !== 0) return path
  }
  return undefined
}

/** Installs `runtime` into the cache unless it is there already; returns its binary. */
function install(runtime) {
  const dir = join(cache, runtime.name, runtime.pkg.replace(/[@/]/g, '_'))
  const modules = join(dir, 'node_modules')
  let binary = existsSync(modules) ? findBinary(modules, runtime.binary) : undefined
  if (binary !== undefined) return binary
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n')
  console.log(`test:runtimes: installing ${runtime.pkg} into ${dir}`)
  // --ignore-scripts: the binary ships in the platform package; no install script may download one.
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', runtime.pkg], {
    cwd: dir,
    stdio: 'inherit',
  })
  if (npm.status !== 0) throw new Error(`npm install ${runtime.pkg} failed`)
  binary = findBinary(modules, runtime.binary)
  if (binary === undefined)
    throw new Error(`${runtime.pkg} installed no ${runtime.binary} binary for ${platform}`)
  return binary
}

function version(binary) {
  return spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0].trim()
}

const { only, vitestArgs } = parse(process.argv.slice(2))
const selected = RUNTIMES.filter((r) => only === undefined || only.includes(r.name))
if (spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1)

const results = []
for (const runtime of selected) {
  const binary = install(runtime)
  const label = `${runtime.name} (${version(binary)})`
  console.log(`\ntest:runtimes: ${label}`)
  const started = Date.now()
  const run = spawnSync(binary, [...runtime.args, 'node_modules/vitest/vitest.mjs', 'run', ...vitestArgs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NO_COLOR: '1' },
  })
  const seconds = Math.round((Date.now() - started) / 1000)
  results.push({ label, ok: run.status === 0, seconds, status: run.status ?? run.signal })
}

console.log('\ntest:runtimes: summary')
for (const r of results)
  console.log(`  ${r.ok ? 'pass' : 'FAIL'}  ${r.label}  ${r.seconds} s${r.ok ? '' : `  (exit ${r.status})`}`)
const failed = results.filter((r) => !r.ok).length
console.log(
  failed === 0
    ? `every runtime passed (${results.length})`
    : `${failed} of ${results.length} runtimes failed`,
)
process.exit(failed === 0 ? 0 : 1)
