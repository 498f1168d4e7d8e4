/**
 * The certificates of the TLS workloads: the test suite's (`test/fixtures/tls/`: an EC P-256 CA and
 * a server certificate for `localhost`, `127.0.0.1` and `::1`), read once per process. Every stack
 * serves the same certificate and every client trusts the same CA, so the handshakes cost the same
 * cryptography on every row.
 *
 * @module
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** dist/bench/ → the checkout's test/fixtures/tls/. */
const DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test', 'fixtures', 'tls')

export interface TlsFiles {
  /** The CA that signed `cert` (PEM): what the clients trust. */
  ca: Buffer
  /** The server's certificate (PEM). */
  cert: Buffer
  /** Its private key (PEM). */
  key: Buffer
}

let files: TlsFiles | undefined

/** The CA, certificate and key, read on first use. */
export function tlsFiles(): TlsFiles {
  files ??= {
    ca: readFileSync(join(DIR, 'ca.pem')),
    cert: readFileSync(join(DIR, 'server.pem')),
    key: readFileSync(join(DIR, 'server-key.pem')),
  }
  return files
}
