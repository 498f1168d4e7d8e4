/** `<platform>-<arch>`, as the node-<platform>-<arch> packages are named. */
export declare const platform: string

/** One runtime of the matrix. */
export interface Runtime {
  /** `node22`, `node24`, `node26`, `bun`, `deno`: what `--only` selects. */
  name: string
  /** The npm package and its pinned version, e.g. `bun@1.4.5`. */
  pkg: string
  /** The executable's file name in the package. */
  binary: string
  /** Arguments before vitest's script. */
  args: readonly string[]
}

/** The matrix of `npm run test:runtimes`. */
export declare const RUNTIMES: readonly Runtime[]
