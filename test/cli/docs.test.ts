import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CONNECT_OPTIONS, LISTEN_OPTIONS } from '../../src/cli/args.js'
import { CONNECT_HELP, LISTEN_HELP } from '../../src/cli/help.js'
import { root } from './helpers.js'

const doc = readFileSync(`${root}docs/CLI.md`, 'utf8')

describe('docs/CLI.md', () => {
  it.each([
    ['listen', LISTEN_OPTIONS, LISTEN_HELP],
    ['connect', CONNECT_OPTIONS, CONNECT_HELP],
  ])('documents every option of %s, as does its --help', (_command, options, help) => {
    for (const name of Object.keys(options)) {
      expect(doc, `--${name} missing from docs/CLI.md`).toContain(`--${name}`)
      expect(help, `--${name} missing from --help`).toContain(`--${name}`)
    }
  })

  it('documents the exit statuses 0, 1 and 2', () => {
    for (const status of [0, 1, 2]) expect(doc).toMatch(new RegExp(`\\n\\| ${status} +\\| `))
  })
})
