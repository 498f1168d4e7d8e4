// Keeps package-lock.json valid for `npm ci` although this workplace's registry serves only the
// Linux builds of @biomejs/biome: `npm install` then leaves the other platforms' optional packages
// out of the lockfile, and `npm ci` refuses a lockfile that lacks them. Each missing one is added
// with its os/cpu/libc, so npm skips it on this platform and never needs to fetch it.
// Runs from `prepare`, that is after every `npm install`.
import { readFileSync, writeFileSync } from 'node:fs'

const PLATFORMS = {
  'android-arm64': { os: ['android'], cpu: ['arm64'] },
  'android-x64': { os: ['android'], cpu: ['x64'] },
  'darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  'darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  'linux-arm64': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  'linux-x64': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  'linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  'linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  'win32-arm64': { os: ['win32'], cpu: ['arm64'] },
  'win32-x64': { os: ['win32'], cpu: ['x64'] },
}

const url = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(url, 'utf8'))
const biome = lock.packages?.['node_modules/@biomejs/biome']
let added = 0
for (const [name, version] of Object.entries(biome?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`
  const platform = PLATFORMS[name.replace('@biomejs/cli-', '')]
  if (lock.packages[key] !== undefined || platform === undefined) continue
  // In the key order npm itself writes, so a later `npm install` leaves the entry as it is.
  const { os, cpu, libc } = platform
  lock.packages[key] = {
    version,
    cpu,
    dev: true,
    ...(libc === undefined ? {} : { libc }),
    license: 'MIT OR Apache-2.0',
    optional: true,
    os,
  }
  added++
}
if (added > 0) {
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
  )
  writeFileSync(url, `${JSON.stringify(lock, null, 2)}\n`)
  console.log(`lock-platforms: added ${added} optional platform entries to package-lock.json`)
}
