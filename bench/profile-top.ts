/**
 * Summarizes `.cpuprofile` files written by `npm run bench -- --profile`:
 * `node dist/bench/profile-top.js <file.cpuprofile>... [--top N]` prints the functions with the most
 * self time and the most total (inclusive) time, with their share of the busy (non-idle) time.
 *
 * @module
 */

import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)'])

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const file =
    url === '' ? '' : ` ${url.replace(/^file:\/\/.*?\/(dist\/|node_modules\/)/, '$1')}:${lineNumber + 1}`
  return `${functionName === '' ? '(anonymous)' : functionName}${file}`
}

function summarize(path: string, top: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  let busy = 0
  let all = 0
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as ProfileNode
    all += us
    const name = frameName(node)
    if (node.callFrame.functionName === '(idle)') continue
    if (node.callFrame.functionName !== '(program)') busy += us
    self.set(name, (self.get(name) ?? 0) + us)
    // Inclusive time: each distinct frame on the stack once (recursion counted once).
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = frameName(byId.get(at) as ProfileNode)
      if (seen.has(frame)) continue
      seen.add(frame)
      total.set(frame, (total.get(frame) ?? 0) + us)
    }
  }
  const rows = (m: Map<string, number>): string =>
    [...m]
      .filter(([name]) => !IDLE.has(name.split(' ')[0] as string) || m === self)
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([name, us]) =>
          `  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
      )
      .join('\n')
  return [
    `${path}: ${(all / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (% of busy)`,
    'self time:',
    rows(self),
    'total time:',
    rows(total),
    '',
  ].join('\n')
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } })
const top = Number(values.top ?? 25)
for (const path of positionals) process.stdout.write(summarize(path, top))
