/**
 * Which JavaScript runtime runs the tests (`npm run test:runtimes` runs the suite on Node.js 22, 24
 * and 26, Bun and Deno), and the known deviations of the others from Node.js.
 *
 * A deviation is never a skip: the test asserts what that runtime really does, by name, and the
 * name is listed in docs/RUNTIMES.md with the runtime's version and a minimal reproduction
 * (test/runtimes.test.ts checks that every name here is there). Where a runtime lacks a whole
 * capability (Deno's `node:tls`, `node:cluster`), its test files are left out of that runtime's run
 * by {@link UNSUPPORTED}, and docs/RUNTIMES.md and the README's support table say so.
 *
 * @module
 */

/** The runtimes of the matrix. */
export type RuntimeName = 'node' | 'bun' | 'deno'

/** The runtime running this code. */
export const runtime: RuntimeName = 'Deno' in globalThis ? 'deno' : 'Bun' in globalThis ? 'bun' : 'node'

/**
 * Every known deviation: a stable name (used in tests and docs/RUNTIMES.md), the runtimes that show
 * it, and one line on what differs from Node.js.
 */
export const DEVIATIONS = {
  'deno-kill-reports-signal': {
    runtimes: ['deno'],
    what: "child.kill(signal) makes 'exit' report (null, signal) even when the child handled it and exited with a code",
  },
  'deno-stdin-keeps-process-alive': {
    runtimes: ['deno'],
    what: 'process.stdin destroyed (or its reader aborted) while its pipe is open still keeps the process alive until the pipe closes',
  },
  'deno-udp-burst-reordered': {
    runtimes: ['deno'],
    what: 'datagrams that arrive together are emitted out of order (a burst comes out reversed)',
  },
  'deno-udp-no-port-unreachable': {
    runtimes: ['deno'],
    what: 'a connected UDP socket never reports ICMP port-unreachable: sends to a closed port fail with no ECONNREFUSED, reads just wait',
  },
  'deno-socketaddress-ipv4-compatible': {
    runtimes: ['deno'],
    what: "new SocketAddress({ address }).address writes IPv4-compatible addresses in hex ('::c000:201'), not with a dotted tail ('::192.0.2.1')",
  },
  'deno-paused-socket-no-read-ahead': {
    runtimes: ['deno'],
    what: 'a paused net.Socket reads nothing into its buffer (readableLength stays 0) where Node.js reads up to its high-water mark',
  },
  'deno-late-socketpair': {
    runtimes: ['deno'],
    what: 'a busy server opens a Unix socket pair (2 descriptors) once, after some thousand connections: a step, not growth per connection',
  },
  'deno-emfile-panic': {
    runtimes: ['deno'],
    what: 'a process out of descriptors panics (ext/signals/lib.rs: unwrap of EMFILE) and exits, where Node.js sheds connections and serves on',
  },
  'deno-cluster-worker-exit-signal': {
    runtimes: ['deno'],
    what: "a cluster worker that got the process group's SIGINT, handled it and closed cleanly is at times reported by the primary's 'exit' as killed by SIGINT",
  },
  'deno-cluster-early-connections': {
    runtimes: ['deno'],
    what: 'node:cluster (round-robin) may lose a connection that arrives while the workers start listening, or fail a worker with EADDRINUSE',
  },
  'bun-listen-backlog': {
    runtimes: ['bun'],
    what: 'server.listen({ backlog }) ignores the backlog: the accept queue holds 513 connections whatever it says',
  },
  'bun-abstract-socket-name': {
    runtimes: ['bun'],
    what: 'a Linux abstract socket name of 108 bytes (the most sun_path holds) fails with EINVAL: Bun takes at most 107',
  },
  'bun-listen-host-not-found': {
    runtimes: ['bun'],
    what: "listen() on a host name that does not resolve fails with an error without a code ('Failed to listen at HOST'), not ENOTFOUND",
  },
  'bun-socketaddress-verbatim': {
    runtimes: ['bun'],
    what: 'new SocketAddress({ address }).address is the text as given, not the canonical (inet_ntop) form',
  },
  'bun-socket-read-ahead': {
    runtimes: ['bun'],
    what: 'a net.Socket reads on for a while after pause(): a stalled echo holds up to about 1 MiB where Node.js holds 64 KiB past the high-water marks',
  },
  'bun-tls-alert-codes': {
    runtimes: ['bun'],
    what: 'node:tls is BoringSSL: a TLS 1.3 certificate-required alert is ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED, not …TLSV13…',
  },
  'bun-tls-alert-on-plaintext': {
    runtimes: ['bun'],
    what: 'a node:tls server answers a client that does not speak TLS with an alert record before closing, where Node.js sends nothing',
  },
  'bun-tls-ticket-after-end': {
    runtimes: ['bun'],
    what: "a TLS 1.3 client that ended its side before the server's session ticket arrived never sees it: no 'session' event, and getSession() is not resumable",
  },
  'bun-no-emfile-shedding': {
    runtimes: ['bun'],
    what: 'a server out of descriptors leaves further connections in the accept queue instead of accepting and closing them',
  },
  'bun-tsconfig-paths': {
    runtimes: ['bun'],
    what: "Bun applies tsconfig.json's paths at run time, so inside this repository require('it-socket') is src/index.ts",
  },
} satisfies Record<string, { runtimes: readonly RuntimeName[]; what: string }>

/** A name of {@link DEVIATIONS}. */
export type DeviationName = keyof typeof DEVIATIONS

/** True on the runtimes that show deviation `name`: the test then asserts what they do instead. */
export function deviates(name: DeviationName): boolean {
  const { runtimes } = DEVIATIONS[name] as { runtimes: readonly RuntimeName[] }
  return runtimes.includes(runtime)
}

/**
 * Test files (globs) that a runtime cannot run because it lacks the capability they test, with the
 * reason; vitest.config.ts leaves them out of that runtime's run. Listed in docs/RUNTIMES.md too.
 */
export const UNSUPPORTED: Record<RuntimeName, ReadonlyArray<{ files: readonly string[]; why: string }>> = {
  node: [],
  bun: [],
  deno: [
    {
      files: ['test/tls/**', 'test/cli/tls.test.ts'],
      why: "Deno's node:tls cannot keep it-socket's close contract: a TLS peer's end() never arrives as 'end' (so echoes and framed exchanges never finish), and it differs in alerts, session resumption, SNI and certificate checks",
    },
  ],
}
