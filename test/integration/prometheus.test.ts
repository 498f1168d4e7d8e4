/**
 * examples/prometheus-metrics.ts, built, run as a person would: echo connections through it-socket's
 * `connect()`, then `/metrics` scraped over HTTP and every line of it checked against the Prometheus
 * text exposition format (version 0.0.4).
 */
import { request } from 'node:http'
import { connect } from 'it-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { rawConnect } from '../helpers/net.js'
import { type Child, runNode, sendSignal } from '../helpers/spawn.js'

const children: Child[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.process.exitCode === null) child.process.kill('SIGKILL')
})

/** Starts the example on free ports; resolves once both are printed. */
async function start(): Promise<{ child: Child; port: number; metricsPort: number }> {
  const child = runNode('dist/examples/prometheus-metrics.js', ['0', '0'])
  children.push(child)
  const deadline = Date.now() + 10_000
  for (;;) {
    const echo = /echo server listening on 127\.0\.0\.1:(\d+)\n/.exec(child.stdout())
    const metrics = /metrics listening on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(child.stdout())
    if (echo !== null && metrics !== null) {
      return { child, port: Number(echo[1]), metricsPort: Number(metrics[1]) }
    }
    if (child.process.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the example did not start: ${child.stdout()} ${child.stderr()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Sends `text` through the echo server with it-socket's `connect()`, and resolves with the echo. */
async function echo(port: number, text: string): Promise<string> {
  await using conn = await connect({ host: '127.0.0.1', port })
  const decoder = new TextDecoder()
  let received = ''
  // The sink half-closes our side once `text` is written; the server echoes, then ends its side.
  const [, reply] = await Promise.all([
    conn.sink([new TextEncoder().encode(text)]),
    (async () => {
      for await (const chunk of conn.source) received += decoder.decode(chunk.subarray(), { stream: true })
      return received
    })(),
  ])
  return reply
}

interface Response {
  status: number
  contentType: string | undefined
  body: string
}

/** A GET on the metrics port. */
function get(port: number, path: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Scrapes until `ready` holds of the samples (counts settle as sockets finish closing). */
async function scrapeUntil(
  port: number,
  ready: (samples: Map<string, number>) => boolean,
): Promise<Exposition> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const res = await get(port, '/metrics')
    const parsed = parseExposition(res.body)
    if (ready(parsed.samples)) return parsed
    if (Date.now() > deadline) throw new Error(`metrics never got there:\n${res.body}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

interface Exposition {
  /** Each sample's value, keyed by its name and its labels as written: `x_total{code="A"}`. */
  samples: Map<string, number>
  help: Map<string, string>
  types: Map<string, string>
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*'
/** A label value: any character but `"`, `\` and a newline, or the escapes `\\`, `\"`, `\n`. */
const LABEL_VALUE = '(?:[^"\\\\\\n]|\\\\[\\\\"n])*'
const LABEL = `${LABEL_NAME}="${LABEL_VALUE}"`
const VALUE = '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]Inf|NaN)'
const SAMPLE = new RegExp(`^(${NAME})(\\{(?:${LABEL}(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`)
const HELP = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`)
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)

/**
 * A strict reader of the text format, for what this example writes: every line a HELP, a TYPE or a
 * sample (no blank lines, no other comments), the body ending with a newline; each family's HELP
 * and TYPE once, before its samples; no sample without both; no sample twice.
 */
function parseExposition(body: string): Exposition {
  expect(body.endsWith('\n'), 'the body ends with a newline').toBe(true)
  const result: Exposition = { samples: new Map(), help: new Map(), types: new Map() }
  const withSamples = new Set<string>()
  for (const line of body.slice(0, -1).split('\n')) {
    const help = HELP.exec(line)
    const type = TYPE.exec(line)
    const sample = SAMPLE.exec(line)
    if (help !== null) {
      const [, name = '', text = ''] = help
      expect(result.help.has(name), `a second HELP for ${name}`).toBe(false)
      expect(withSamples.has(name), `HELP for ${name} after its samples`).toBe(false)
      result.help.set(name, text)
    } else if (type !== null) {
      const [, name = '', kind = ''] = type
      expect(result.types.has(name), `a second TYPE for ${name}`).toBe(false)
      expect(withSamples.has(name), `TYPE for ${name} after its samples`).toBe(false)
      result.types.set(name, kind)
    } else if (sample !== null) {
      const [, name = '', labels = '', value = ''] = sample
      expect(result.types.has(name), `${line}: no TYPE before it`).toBe(true)
      expect(result.help.has(name), `${line}: no HELP before it`).toBe(true)
      const key = `${name}${labels}`
      expect(result.samples.has(key), `${key} twice`).toBe(false)
      withSamples.add(name)
      result.samples.set(key, Number(value))
    } else {
      expect.fail(`not a line of the text format: ${JSON.stringify(line)}`)
    }
  }
  return result
}

const COUNTERS = [
  'it_socket_connections_accepted_total',
  'it_socket_connections_closed_total',
  'it_socket_connections_refused_busy_total',
  'it_socket_handshake_failures_total',
  'it_socket_received_bytes_total',
  'it_socket_sent_bytes_total',
  'it_socket_errors_total',
]
const GAUGES = [
  'it_socket_connections_active',
  'it_socket_connections_pending',
  'it_socket_connections_active_peak',
]

describe('examples/prometheus-metrics', () => {
  it('serves server.stats on /metrics in the text format 0.0.4: two echo connections counted, bytes exact', async () => {
    const { child, port, metricsPort } = await start()
    const texts = ['hello, metrics', 'and a second connection: ünïcödé']
    for (const [i, text] of texts.entries()) {
      expect(await echo(port, text)).toBe(text)
      // One at a time (peak 1): the next connects once this one has closed on the server too.
      await scrapeUntil(metricsPort, (s) => s.get('it_socket_connections_closed_total') === i + 1)
    }
    const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0)

    const res = await get(metricsPort, '/metrics')
    expect(res.status).toBe(200)
    expect(res.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    const { samples, help, types } = parseExposition(res.body)
    for (const name of COUNTERS) expect(types.get(name), name).toBe('counter')
    for (const name of GAUGES) expect(types.get(name), name).toBe('gauge')
    for (const name of [...COUNTERS, ...GAUGES]) expect(help.get(name), name).toMatch(/\S/)
    expect(Object.fromEntries(samples)).toEqual({
      it_socket_connections_accepted_total: 2,
      it_socket_connections_closed_total: 2,
      it_socket_connections_refused_busy_total: 0,
      it_socket_handshake_failures_total: 0,
      it_socket_received_bytes_total: bytes,
      it_socket_sent_bytes_total: bytes,
      it_socket_connections_active: 0,
      it_socket_connections_pending: 0,
      it_socket_connections_active_peak: 1,
    })

    sendSignal(child.process, 'SIGTERM')
    expect(await child.exited).toBe(0)
    expect(child.stdout()).toMatch(/servers closed\n$/)
  })

  it('labels failures by code: a connection reset is it_socket_errors_total{code="ERR_CONNECTION_RESET"}', async () => {
    const { child, port, metricsPort } = await start()
    const socket = await rawConnect(port)
    socket.on('error', () => {})
    socket.write('x')
    await new Promise((resolve) => socket.once('data', resolve))
    socket.resetAndDestroy()
    const { samples } = await scrapeUntil(
      metricsPort,
      (s) => s.get('it_socket_connections_closed_total') === 1,
    )
    expect(samples.get('it_socket_errors_total{code="ERR_CONNECTION_RESET"}')).toBe(1)
    sendSignal(child.process, 'SIGTERM')
    expect(await child.exited).toBe(0)
  })

  it('answers 404 on any other path', async () => {
    const { child, metricsPort } = await start()
    for (const path of ['/', '/metric', '/metrics/extra']) {
      expect((await get(metricsPort, path)).status, path).toBe(404)
    }
    // A query string is not part of the path.
    expect((await get(metricsPort, '/metrics?name[]=x')).status).toBe(200)
    sendSignal(child.process, 'SIGTERM')
    expect(await child.exited).toBe(0)
  })
})
