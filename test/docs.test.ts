import { readFileSync } from 'node:fs'
import * as api from 'it-socket'
import { describe, expect, it } from 'vitest'

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')

describe('docs', () => {
  it('docs/ERRORS.md lists every exported error class with its code', () => {
    const doc = read('docs/ERRORS.md')
    const classes = Object.entries(api).filter(
      ([name, value]) =>
        typeof value === 'function' &&
        value.prototype instanceof api.ItSocketError &&
        name !== 'ItSocketError',
    )
    expect(classes.length).toBeGreaterThanOrEqual(12)
    for (const [name, value] of classes) {
      const code = (value as unknown as { code: string }).code
      expect(doc, `${name} missing from docs/ERRORS.md`).toMatch(
        new RegExp(`\\|\\s*\`${name}\`\\s*\\|\\s*\`${code}\`\\s*\\|`),
      )
      const err = new (value as new () => api.ItSocketError)()
      expect(err.name).toBe(name)
      expect(err.code).toBe(code)
    }
  })

  it('docs/LIMITS.md lists every exported limit with its default', () => {
    const doc = read('docs/LIMITS.md')
    const limits = [...read('src/limits.ts').matchAll(/export const (\w+)/g)].map((m) => m[1] as string)
    expect(limits.length).toBeGreaterThanOrEqual(6)
    for (const name of limits) {
      const value = (api as Record<string, unknown>)[name]
      expect(value, `${name} is not exported from the package root`).toBeTypeOf('number')
      expect(doc, `${name} missing from docs/LIMITS.md`).toMatch(
        new RegExp(`\\|\\s*\`${name}\`\\s*\\|\\s*${value}\\b`),
      )
    }
  })
})
