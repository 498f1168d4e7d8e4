import { once } from 'node:events'

/**
 * Writes to stdout, waiting for 'drain' when its buffer is full: a peer that sends faster than the
 * terminal or the next program in the pipe reads is slowed down (the connection stops being read and
 * TCP pushes back), instead of being buffered without bound.
 */
export async function writeOut(data: Uint8Array): Promise<void> {
  const stdout = process.stdout
  if (stdout.destroyed) throw new Error('stdout is closed')
  if (!stdout.write(data)) await once(stdout, 'drain')
}
