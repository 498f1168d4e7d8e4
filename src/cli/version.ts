import { readFileSync } from 'node:fs'

/**
 * The version in it-socket's package.json, read at run time. The built command is
 * `dist/src/cli/main.js`, three levels below the package root; walking up instead of hard-coding
 * the depth also works when this file runs from `src/cli/`.
 */
export function readVersion(): string {
  let dir = new URL('./', import.meta.url)
  for (let level = 0; level < 5; level++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: unknown
        version?: unknown
      }
      if (pkg.name === 'it-socket' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // no package.json at this level: go on up
    }
    dir = new URL('../', dir)
  }
  return 'unknown'
}
