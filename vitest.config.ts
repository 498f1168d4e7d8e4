import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // Examples and tests import the package by its name, as users do.
    alias: { 'it-socket': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Socket tests are I/O bound; two workers match the two cores CI has.
    maxWorkers: 2,
  },
})
