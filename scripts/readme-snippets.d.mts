/** The ```ts blocks of a README, in order. */
export function snippets(readme: string): string[]
/** The generated file for one snippet. */
export function snippetFile(code: string): string
/** [file name, contents] of every snippet file README.md should produce. */
export function expectedFiles(): Array<[string, string]>
