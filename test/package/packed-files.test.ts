/**
 * What a consumer installs: the file list `npm pack` would publish (read with `npm pack --dry-run
 * --json`, offline, without running the `prepare` build), checked against what the README promises.
 * Runs against the built dist/ (`npm test` builds before vitest).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { deviates } from '../helpers/runtime.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string): string => readFileSync(join(root, path), 'utf8')

interface PackedFile {
  path: string
  size: number
}

let files: Set<string>

beforeAll(() => {
  expect(existsSync(join(root, 'dist/src/index.js')), 'dist/src is missing: run `npm run build`').toBe(true)
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
  })
  const [result] = JSON.parse(out) as [{ files: PackedFile[] }]
  files = new Set(result.files.map((file) => file.path))
}, 60_000)

/** Relative link and image targets of a Markdown file, without anchors, as package paths. */
function localLinks(markdown: string): string[] {
  const text = read(markdown)
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => (m[1] as string).replace(/#.*$/, ''))
    .filter((target) => target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => posix.normalize(posix.join(posix.dirname(markdown), target)))
}

describe('the packed package (npm pack)', () => {
  it('ships the license, the README, the entry points, the CLI and their types', () => {
    for (const path of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/main.js',
    ]) {
      expect(files, path).toContain(path)
    }
    const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> }
    for (const bin of Object.values(pkg.bin)) expect(files, bin).toContain(posix.normalize(bin))
  })

  it('ships every file the README and the docs link to or embed (docs/*.md, the chart, the examples)', () => {
    const readmeLinks = localLinks('README.md')
    expect(readmeLinks).toContain('docs/CLOSE.md')
    expect(readmeLinks).toContain('bench/results/latest.svg')
    const docs = [...files].filter((path) => /^docs\/[^/]+\.md$/.test(path))
    expect(docs.length).toBeGreaterThanOrEqual(8)
    for (const markdown of ['README.md', ...docs]) {
      for (const target of localLinks(markdown))
        expect(files, `${markdown} links to ${target}`).toContain(target)
    }
  })

  it('ships no tests, benchmarks, CI scripts, build leftovers or dependencies', () => {
    const allowed = new Set(['bench/results/latest.svg'])
    const unwanted = [...files].filter(
      (path) =>
        !allowed.has(path) &&
        (/^(test|bench|\.ci|scripts|coverage|node_modules)\//.test(path) ||
          /(^|\/)node_modules\//.test(path) ||
          (path.startsWith('dist/') && !path.startsWith('dist/src/')) ||
          path.endsWith('.tsbuildinfo') ||
          /\.test\.[cm]?[jt]s$/.test(path)),
    )
    expect(unwanted).toEqual([])
  })

  it("every source map's sources resolve to shipped files", () => {
    const maps = [...files].filter((path) => path.endsWith('.map'))
    expect(maps.length).toBeGreaterThan(0)
    const missing: string[] = []
    for (const map of maps) {
      const { sources, sourceRoot = '' } = JSON.parse(read(map)) as { sources: string[]; sourceRoot?: string }
      for (const source of sources) {
        const path = posix.normalize(posix.join(posix.dirname(map), sourceRoot, source))
        if (!files.has(path)) missing.push(`${map} -> ${path}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('every runtime dependency is imported by dist/src (code or type declarations)', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies?: Record<string, string> }
    const shipped = [...files]
      .filter((path) => path.startsWith('dist/src/') && /\.(js|d\.ts)$/.test(path))
      .map((path) => read(path))
      .join('\n')
    const unimported = Object.keys(pkg.dependencies ?? {}).filter((name) => {
      const specifier = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
      return !new RegExp(`\\bfrom '${specifier}(/[^']*)?'|\\bimport\\('${specifier}(/[^']*)?'\\)`).test(
        shipped,
      )
    })
    expect(unimported, 'dependencies dist/src never imports (make them devDependencies)').toEqual([])
  })
})

describe('package.json exports', () => {
  it('names the types first and a default condition, so import and require() both resolve', () => {
    const pkg = JSON.parse(read('package.json')) as { exports: Record<string, Record<string, string>> }
    const entry = pkg.exports['.'] as Record<string, string>
    const conditions = Object.keys(entry)
    expect(conditions[0]).toBe('types')
    expect(conditions.at(-1)).toBe('default')
    expect(entry.default).toBe('./dist/src/index.js')
  })

  // require(esm) works without a flag on Node.js 20.19+ and 22.12+ (every Node.js of the matrix),
  // Bun and Deno.
  it("require('it-socket') loads the ESM build (require(esm))", () => {
    const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), 'index.js'))
    // Bun resolves by tsconfig.json's paths first, to the sources (bun-tsconfig-paths).
    const entry = deviates('bun-tsconfig-paths') ? 'src/index.ts' : 'dist/src/index.js'
    expect(require.resolve('it-socket')).toBe(join(root, entry))
    const api = require('it-socket') as Record<string, unknown>
    expect(typeof api.listen).toBe('function')
    expect(typeof api.connect).toBe('function')
  })
})
