import { connect, framed, lines } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { type Child, listeningPort, runNode, sendSignal } from '../helpers/spawn.js'

// These run the built examples (npm test builds first) as a person would, with port 0 for a free port.
const children: Child[] = []
function run(script: string, args: string[], input?: string): Child {
  const child = runNode(`dist/examples/${script}`, args, input)
  children.push(child)
  return child
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.process.exitCode === null) child.process.kill('SIGKILL')
})

describe('examples (the seed programs, ported)', () => {
  it('echo-server-once and echo-client-once: one message there and back, then both exit 0', async () => {
    const server = run('echo-server-once.js', ['0'])
    const port = await listeningPort(server)
    const client = run('echo-client-once.js', [String(port)], 'hello, socket\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toContain('= hello, socket')
    expect(await server.exited).toBe(0)
    expect(server.stdout()).toContain('hello, socket')
  })

  it('echo-server and echo-client: lines echoed until bye, then both exit 0', async () => {
    const server = run('echo-server.js', ['0'])
    const port = await listeningPort(server)
    const client = run('echo-client.js', [String(port)], 'first\nsecond\nbye\nnever sent\n')
    expect(await client.exited).toBe(0)
    expect(client.stdout()).toBe('first\nsecond\nbye\n')
    expect(await server.exited).toBe(0)
    expect(server.stdout()).toMatch(/first\nsecond\nbye\n$/)
  })

  it('echo-client stops after 10 messages without bye, as the seed does', async () => {
    const server = run('echo-server.js', ['0'])
    const port = await listeningPort(server)
    const input = `${Array.from({ length: 12 }, (_, i) => `m${i}`).join('\n')}\n`
    const client = run('echo-client.js', [String(port)], input)
    expect(await client.exited).toBe(0)
    expect(client.stdout().trim().split('\n')).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`))
    expect(await server.exited).toBe(0)
  })

  it('multi-echo-server: 200 concurrent clients each get back exactly their own lines, then SIGTERM exits 0', async () => {
    const server = run('multi-echo-server.js', ['0'])
    const port = await listeningPort(server)
    const clients = Array.from({ length: 200 }, async (_, id) => {
      await using conn = await connect({ host: '127.0.0.1', port })
      const messages = framed(conn, lines())
      const replies: string[] = []
      for (let i = 0; i < 5; i++) replies.push(await messages.request(`client ${id} message ${i}`))
      replies.push(await messages.request('bye'))
      // The server ends its side after bye.
      expect(await messages.read()).toBeUndefined()
      return replies
    })
    const results = await Promise.all(clients)
    results.forEach((replies, id) => {
      expect(replies).toEqual([...Array.from({ length: 5 }, (_, i) => `client ${id} message ${i}`), 'bye'])
    })
    expect(server.stdout()).toContain('RECEIVED: client 199 message 4 << 127.0.0.1:')
    sendSignal(server.process, 'SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.stdout()).toContain('server closed')
  })
})
