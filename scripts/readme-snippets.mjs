// Writes every ```ts block of README.md to test/types/readme/snippet-N.ts, so `npm run typecheck`
// compiles them and the README cannot drift from the API. test/readme.test.ts fails when the files
// are stale; run `npm run readme:snippets` after editing the README.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'

const root = new URL('../', import.meta.url)
const outDir = new URL('test/types/readme/', root)

/** Names the snippets use without defining them: declared, typed, in front of each snippet. */
const PRELUDE = `// Generated from README.md by scripts/readme-snippets.mjs: do not edit.
import type { Connection } from 'it-socket'

declare const conn: Connection
declare const handler: (conn: Connection) => Promise<void>
declare const log: { warn: (...args: unknown[]) => void }
`

export function snippets(readme) {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1])
}

/** Value names the package exports (a snippet continuing an earlier one may use them unimported). */
const EXPORTS = [...readFileSync(new URL('src/index.ts', root), 'utf8').matchAll(/export\s*\{([^}]*)\}/g)]
  .flatMap((m) => m[1].split(','))
  .map((name) => name.trim())
  .filter((name) => /^[a-zA-Z_]\w*$/.test(name))

/**
 * The file for one snippet: its imports (plus the package's names it uses without importing them, as
 * a snippet continuing an earlier one does), the prelude's declarations it needs, then the code.
 */
export function snippetFile(code) {
  const lines = code.split('\n')
  const imports = lines.filter((line) => line.startsWith('import '))
  const body = lines.filter((line) => !line.startsWith('import '))
  const uses = (name) => new RegExp(`\\b${name}\\b`).test(body.join('\n'))
  const declares = (name) => new RegExp(`(const|let|function|using) ${name}\\b`).test(code)
  const imported = new Set(imports.flatMap((line) => [...line.matchAll(/\b(\w+)\b/g)].map((m) => m[1])))
  const missing = [...new Set(EXPORTS)].filter((name) => uses(name) && !imported.has(name) && !declares(name))
  if (missing.length > 0) imports.push(`import { ${missing.join(', ')} } from 'it-socket'`)
  const prelude = PRELUDE.split('\n')
    .filter((line) => {
      const m = /^declare const (\w+)/.exec(line)
      return m === null || (uses(m[1]) && !declares(m[1]))
    })
    .join('\n')
  return `${imports.join('\n')}\n${prelude}\n${body.join('\n')}\nexport {}\n`
}

export function expectedFiles() {
  const readme = readFileSync(new URL('README.md', root), 'utf8')
  return snippets(readme).map((code, i) => [
    `snippet-${String(i + 1).padStart(2, '0')}.ts`,
    snippetFile(code),
  ])
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  for (const [name, text] of expectedFiles()) writeFileSync(new URL(name, outDir), text)
  console.log(`wrote ${readdirSync(outDir).length} snippets to test/types/readme/`)
}
