/**
 * Pipelines 1,000 INCRs to a Redis server over one connection with `framed(conn, resp())`: every
 * command is sent at once, and each reply is paired with its command, in order. Prints a summary.
 * Run: node dist/examples/redis-pipeline.js [PORT=6379] (a redis-server on 127.0.0.1)
 */
import { connect, framed, resp, respCommand } from 'it-socket'

const port = Number(process.argv[2] ?? 6379)
await using conn = await connect({ host: '127.0.0.1', port })
const redis = framed(conn, resp())

const key = `it-socket:example:${process.pid}`
const replies = await Promise.all(Array.from({ length: 1000 }, () => redis.request(respCommand('INCR', key))))
for (const reply of replies) if (reply.type === 'error') throw new Error(reply.message) // a value, not a throw
const last = replies.at(-1)
console.log(`${replies.length} replies, last INCR: ${last?.type === 'integer' ? last.value : '?'}`)
await redis.request(respCommand('DEL', key))
