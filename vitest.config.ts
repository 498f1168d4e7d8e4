import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'
import { runtime, UNSUPPORTED } from './test/helpers/runtime.js'

/** `npm test`: everything that needs Node.js and npm only. */
export default defineConfig({
  resolve: {
    // Examples and tests import the package by its name, as users do.
    alias: { 'it-socket': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Tests against programs we did not write (nc, python3): `npm run test:interop`.
    // On Bun and Deno (`npm run test:runtimes`), also the files of capabilities they lack
    // (test/helpers/runtime.ts, docs/RUNTIMES.md).
    exclude: [...configDefaults.exclude, 'test/interop/**', ...UNSUPPORTED[runtime].flatMap((u) => u.files)],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Socket tests are I/O bound; two workers match the two cores CI has.
    maxWorkers: 2,
  },
})
