import { configDefaults, defineConfig } from 'vitest/config'
import base from './vitest.config.js'

/**
 * `npm run test:interop`: the tests against programs we did not write (test/interop/). The global
 * setup checks that every one of them is installed, and fails the run naming those that are not.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/interop/**/*.test.ts'],
    exclude: configDefaults.exclude,
    globalSetup: ['test/interop/required-tools.ts'],
  },
})
