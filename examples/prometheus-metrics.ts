/**
 * An echo server whose counters Prometheus can scrape: `server.stats` rendered in the Prometheus
 * text exposition format (version 0.0.4) on `GET /metrics`, served by `node:http` on a second port.
 * No dependency: the format is a few lines of text per metric.
 *
 * Run: node dist/examples/prometheus-metrics.js [PORT=7788] [METRICS_PORT=9464]
 * (0 picks a free port; both bound addresses are printed), then `curl
 * http://127.0.0.1:9464/metrics`, or point Prometheus at it:
 *
 * ```yaml
 * scrape_configs:
 *   - job_name: it-socket
 *     static_configs: [{ targets: ['127.0.0.1:9464'] }]
 * ```
 *
 * Ctrl-C or SIGTERM closes both servers.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import { formatAddress, listen, pipe, type ServerStats } from 'it-socket'

const port = Number(process.argv[2] ?? 7788)
const metricsPort = Number(process.argv[3] ?? 9464)

const server = await listen({ host: '127.0.0.1', port })
const served = server.serve((conn) => pipe(conn, conn))
console.log(`echo server listening on ${formatAddress(server.address)}`)

/** One metric family: its `# HELP` and `# TYPE` lines, then a sample per set of labels. */
interface Family {
  name: string
  help: string
  type: 'counter' | 'gauge'
  samples: Array<{ labels?: Record<string, string>; value: number }>
}

function one(name: string, type: Family['type'], help: string, value: number): Family {
  return { name, type, help, samples: [{ value }] }
}

function families(stats: ServerStats): Family[] {
  return [
    one(
      'it_socket_connections_accepted_total',
      'counter',
      'Sockets accepted, refused and failed ones included.',
      stats.accepted,
    ),
    one(
      'it_socket_connections_closed_total',
      'counter',
      'Connections made that have since closed.',
      stats.closed,
    ),
    one(
      'it_socket_connections_refused_busy_total',
      'counter',
      'Sockets closed at once because maxPending connections were waiting.',
      stats.refusedBusy,
    ),
    one(
      'it_socket_handshake_failures_total',
      'counter',
      'Failed TLS handshakes and PROXY headers.',
      stats.handshakeFailures,
    ),
    one('it_socket_received_bytes_total', 'counter', 'Bytes received on every connection.', stats.bytesRead),
    one('it_socket_sent_bytes_total', 'counter', 'Bytes sent on every connection.', stats.bytesWritten),
    {
      name: 'it_socket_errors_total',
      type: 'counter',
      help: 'Failures by error code: connections that failed, refused sockets, failed handshakes.',
      samples: Object.entries(stats.errors).map(([code, value]) => ({ labels: { code }, value })),
    },
    one('it_socket_connections_active', 'gauge', 'Connections being served.', stats.active),
    one(
      'it_socket_connections_pending',
      'gauge',
      'Connections waiting to be served, handshakes included.',
      stats.pending,
    ),
    one(
      'it_socket_connections_active_peak',
      'gauge',
      'The most connections served at once.',
      stats.peakActive,
    ),
  ]
}

/** A label value: backslash, double quote and newline escaped, as the format asks. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** HELP text: backslash and newline escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** The text exposition format, version 0.0.4: every line ends with `\n`, the last one too. */
function render(stats: ServerStats): string {
  const lines: string[] = []
  for (const { name, help, type, samples } of families(stats)) {
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`)
    for (const { labels = {}, value } of samples) {
      const pairs = Object.entries(labels).map(([label, v]) => `${label}="${escapeLabel(v)}"`)
      lines.push(`${name}${pairs.length === 0 ? '' : `{${pairs.join(',')}}`} ${value}`)
    }
  }
  return `${lines.join('\n')}\n`
}

const metrics = createServer((req, res) => {
  if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/metrics') {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: try /metrics\n')
  } else if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end()
  } else {
    res
      .writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' })
      .end(render(server.stats))
  }
})
metrics.listen(metricsPort, '127.0.0.1')
await once(metrics, 'listening')
const bound = metrics.address()
if (bound === null || typeof bound === 'string') throw new Error('the metrics server is not on TCP')
console.log(`metrics listening on http://127.0.0.1:${bound.port}/metrics (Ctrl-C stops both)`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    metrics.close()
    metrics.closeAllConnections()
    void server.close()
  })
}
await served
console.log('servers closed')
