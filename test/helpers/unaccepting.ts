import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'

/**
 * A listening TCP socket on 127.0.0.1 whose owner never calls accept() and whose backlog is 0: after
 * one connection fills its queue, further connection attempts hang (Linux drops their SYNs). Held by
 * a python3 child, since Node.js always accepts.
 */
export async function unacceptingListener(): Promise<{ port: number; close: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    'python3',
    [
      '-c',
      [
        'import socket, sys',
        's = socket.socket()',
        "s.bind(('127.0.0.1', 0))",
        's.listen(0)',
        'print(s.getsockname()[1], flush=True)',
        'sys.stdin.read()',
      ].join('\n'),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const [data] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer]
  return {
    port: Number(data.toString().trim()),
    close: async () => {
      const exited = once(child, 'exit')
      child.stdin?.end()
      await exited
    },
  }
}
