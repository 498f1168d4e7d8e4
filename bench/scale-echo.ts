/**
 * What the scale orchestrator (`scale.ts`), its client process (`scale-client.ts`) and its probe
 * (`scale-probe.ts`) share: the one message every connection echoes, the source addresses, and the
 * lines the client prints.
 *
 * @module
 */

import { connect, type Socket } from 'node:net'
import { payloadByte, writeVarint } from './frames.js'

/**
 * The client's source addresses. One address has about 28k ephemeral ports (the default
 * `ip_local_port_range`); eight of them leave room for 100,000 connections and a second run.
 */
export const SOURCE_HOSTS: readonly string[] = [2, 3, 4, 5, 6, 7, 8, 9].map((n) => `127.0.0.${n}`)

/** What the client process is asked to do: one JSON argument. */
export interface ScaleClientSpec {
  port: number
  /** Connections to open and hold. */
  connections: number
  /** Connections at most in progress (connecting or waiting for their echo) at once. */
  window: number
  /** Payload bytes of the one message each connection echoes. */
  size: number
  /** Warm-up connections (one echo, closed) before the orchestrator's baseline. */
  warm: number
  /** How often the client prints its progress while opening, in ms. */
  progressMs: number
}

/**
 * The client's lines on stdout. After `warmed` and `opened` it waits for a line on stdin (go on;
 * close everything); `closed` is its last.
 */
export type ScaleClientEvent =
  | { event: 'warmed' }
  | { event: 'progress'; echoed: number; ms: number }
  | { event: 'opened'; connections: number; ms: number }
  | { event: 'closed'; ms: number; lostWhileIdle: number }

/** The message: `size` payload bytes behind a varint length prefix (the lp and bytes servers echo it as is). */
export function echoFrame(size: number): Buffer {
  const frame = Buffer.allocUnsafe(size + 5)
  const at = writeVarint(frame, 0, size)
  for (let j = 0; j < size; j++) frame[at + j] = payloadByte(0, j)
  return frame.subarray(0, at + size)
}

/**
 * Connects to 127.0.0.1:`port` (from `localAddress` when given), writes `frame` and resolves with
 * the socket once exactly `frame` came back; rejects on an error, a wrong byte, an early close or,
 * with `timeoutMs`, a connection that took longer. The socket is left open with no listeners.
 */
export function connectEcho(
  port: number,
  frame: Buffer,
  localAddress?: string,
  timeoutMs?: number,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      noDelay: true,
      ...(localAddress ? { localAddress } : {}),
    })
    let got = 0
    const fail = (err: Error): void => {
      done()
      socket.destroy()
      reject(err)
    }
    const onError = (err: Error): void => fail(err)
    const onClose = (): void => fail(new Error(`closed after ${got} of ${frame.length} echoed bytes`))
    const onData = (chunk: Buffer): void => {
      for (let i = 0; i < chunk.length; i++) {
        if (got + i >= frame.length || chunk[i] !== frame[got + i]) {
          fail(new Error(`wrong echo at byte ${got + i}`))
          return
        }
      }
      got += chunk.length
      if (got < frame.length) return
      done()
      resolve(socket)
    }
    const done = (): void => {
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('close', onClose)
      if (timer !== undefined) clearTimeout(timer)
    }
    socket.on('data', onData)
    socket.on('error', onError)
    socket.on('close', onClose)
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => fail(new Error(`no echo within ${timeoutMs} ms`)), timeoutMs)
    socket.once('connect', () => socket.write(frame))
  })
}
