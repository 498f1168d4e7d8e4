import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { expectedFiles } from '../scripts/readme-snippets.mjs'

describe('README', () => {
  it('every ts snippet is compiled by the typecheck (test/types/readme/ is up to date)', () => {
    const dir = new URL('./types/readme/', import.meta.url)
    const expected = expectedFiles()
    expect(expected.length).toBeGreaterThanOrEqual(10)
    expect(readdirSync(dir).sort(), 'run `npm run readme:snippets`').toEqual(expected.map(([name]) => name))
    for (const [name, text] of expected) {
      expect(
        readFileSync(new URL(name, dir), 'utf8'),
        `${name} is stale: run \`npm run readme:snippets\``,
      ).toBe(text)
    }
  })
})
