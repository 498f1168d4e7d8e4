/**
 * docs/RUNTIMES.md names every deviation and every unsupported capability that the tests know of
 * (test/helpers/runtime.ts), and the runtime versions `npm run test:runtimes` pins.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { RUNTIMES } from '../scripts/test-runtimes-matrix.mjs'
import { DEVIATIONS, UNSUPPORTED } from './helpers/runtime.js'

const doc = readFileSync(new URL('../docs/RUNTIMES.md', import.meta.url), 'utf8')

describe('docs/RUNTIMES.md', () => {
  it('lists every known deviation by name', () => {
    for (const name of Object.keys(DEVIATIONS)) expect(doc, `${name} missing`).toContain(`\`${name}\``)
  })

  it('lists every test file a runtime leaves out, and why', () => {
    for (const entries of Object.values(UNSUPPORTED)) {
      for (const { files } of entries)
        for (const file of files) expect(doc, `${file} missing`).toContain(file)
    }
  })

  it('names the version of every runtime of the matrix', () => {
    for (const { pkg } of RUNTIMES) {
      const version = pkg.slice(pkg.lastIndexOf('@') + 1)
      expect(doc, `${pkg} missing`).toContain(version)
    }
  })
})
