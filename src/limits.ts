/**
 * Every default limit in one place. Each bounds memory, time or work per connection or per server;
 * docs/LIMITS.md lists them (a test keeps the two in step).
 *
 * @module
 */

/**
 * Bytes a connection's `source` queues in user space before it stops reading from the socket
 * (64 KiB). Node.js itself buffers up to {@link SOCKET_HIGH_WATER_MARK} on top, and one read may add
 * up to 64 KiB, so a consumer that stops pulling holds at most about 192 KiB per connection; the
 * kernel then pushes back on the peer.
 */
export const SOURCE_HIGH_WATER_MARK = 64 * 1024

/**
 * The high-water mark of Node.js's own buffers on every TCP and Unix socket, each direction
 * (64 KiB, Node 22's default; Node 20's 16 KiB made a sink wait for 'drain' after every write of
 * 16 KiB or more). The sink waits for 'drain' once this much is waiting to be written.
 */
export const SOCKET_HIGH_WATER_MARK = 64 * 1024

/**
 * Bytes `toWebStreams()`'s writable queues (chunks written and not yet taken by the connection's
 * sink) before `writer.ready` waits (64 KiB): on top of Node.js's own {@link SOCKET_HIGH_WATER_MARK},
 * so a writer that awaits `ready` holds at most about 128 KiB plus one chunk per connection.
 * `toWebStreams(conn, { writableHighWaterMark })` changes it.
 */
export const WEB_STREAM_HIGH_WATER_MARK = 64 * 1024

/**
 * Bytes one end of a `duplexPair()` may have written and the other not yet read, per direction,
 * before the writing sink waits (64 KiB, as a socket's {@link SOCKET_HIGH_WATER_MARK}): a pair holds
 * at most this plus one chunk each way. `duplexPair({ highWaterMark })` changes it.
 */
export const PAIR_HIGH_WATER_MARK = 64 * 1024

/**
 * Milliseconds a closing connection waits, in the background after `Connection.close()` returned, for
 * the peer to end its side before destroying the socket (5 s). Bounds how long a peer that never
 * closes can hold a closing connection.
 */
export const CLOSE_TIMEOUT = 5_000

/**
 * Milliseconds a TLS client has to complete its handshake with a server (10 s), before it is closed
 * and reported as `TimeoutError`: a client that connects and stays silent holds a `maxPending` slot
 * at most this long. `listen({ tls: { handshakeTimeout } })` changes it.
 */
export const TLS_HANDSHAKE_TIMEOUT = 10_000

/**
 * Milliseconds a trusted proxy has to send a connection's whole PROXY protocol header (5 s), with
 * `listen({ proxyProtocol })`; then the connection is closed and reported. A connection waiting for
 * its header holds a `maxPending` slot at most this long. `proxyProtocol.timeout` changes it.
 */
export const PROXY_HEADER_TIMEOUT = 5_000

/**
 * Milliseconds `Server.close()` lets open connections finish before aborting them (5 s).
 */
export const SERVER_CLOSE_TIMEOUT = 5_000

/**
 * Connections accepted but not yet handed out (waiting for the `for await` loop or for a
 * `maxConnections` slot) (4,096). Each holds a file descriptor and about 6 KiB (measured: 2,000
 * waiting connections cost 12 MiB of RSS), so at most ~24 MiB; they are not read, so the kernel holds
 * their bytes. Past this bound a new connection is closed at once and reported as `ServerBusyError`.
 * The hardening suite's 2,000 simultaneous clients against `maxConnections: 256` overflowed 1,024.
 */
export const MAX_PENDING_CONNECTIONS = 4_096

/**
 * Length of the kernel's queue of connections that completed the handshake but were not accepted yet
 * (4,096; Linux caps it at `net.core.somaxconn`, 4,096 by default). Node.js's 511 overflowed when
 * 2,000 clients connected at once: Linux then drops handshakes, and some clients saw resets.
 */
export const LISTEN_BACKLOG = 4_096

/**
 * Datagrams a UDP socket's `source` queues while nobody pulls (1,024). UDP has no backpressure: past
 * this bound new datagrams are dropped and counted in `dropped`. At most 1,024 × 64 KiB in theory,
 * about 1.5 MiB for typical 1,500-byte datagrams.
 */
export const UDP_QUEUE_SIZE = 1_024

/**
 * UDP sends a sink hands to the socket before it waits for their callbacks (64). Each outstanding
 * send holds its datagram, so this bounds a UDP sink's memory at 64 × 64 KiB = 4 MiB at worst.
 */
export const MAX_OUTSTANDING_SENDS = 64

/**
 * Largest frame payload `lengthPrefixed()` accepts or sends, in bytes (1 MiB). A peer announcing more
 * fails before any payload is buffered.
 */
export const MAX_FRAME_LENGTH = 1024 * 1024

/**
 * Largest line `lines()` and `delimited()` accept, in bytes of UTF-8 without the delimiter (64 KiB).
 * A line growing past it fails without buffering more than this.
 */
export const MAX_LINE_LENGTH = 64 * 1024

/**
 * Requests a `framed()` stream has sent and not yet had a reply to (1,024). `request()` calls past it
 * wait, unsent, for a reply to free a slot, so a caller pipelining thousands of requests never has
 * more than this many in flight, and the peer never more than this many unanswered.
 */
export const MAX_OUTSTANDING_REQUESTS = 1_024

/**
 * The longest duration any timeout option takes, in milliseconds (2^31 − 1, about 24.8 days): the
 * longest delay a Node.js timer keeps. A longer one fires after 1 ms with a warning, so a timeout
 * past it would end its operation at once; options and the CLI refuse it instead.
 */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * Largest RESP bulk string, bulk error or verbatim string `resp()` accepts or sends, in bytes
 * (64 MiB). Redis's own `proto-max-bulk-len` is 512 MiB, but a client rarely wants one reply that
 * large in memory, and a hostile header would otherwise pin 512 MiB per connection; a bulk header
 * announcing more fails before any payload is buffered. `resp({ maxBulkLength })` raises it.
 */
export const RESP_MAX_BULK_LENGTH = 64 * 1024 * 1024

/**
 * Longest RESP line `resp()` accepts, in bytes without its CRLF (64 KiB): a simple string, a simple
 * error, a number, or a type header. Redis's own simple replies are a few dozen bytes; a line growing
 * past it fails without buffering more.
 */
export const RESP_MAX_LINE_LENGTH = 64 * 1024

/**
 * Deepest nesting of RESP aggregates in one value (128). Redis's replies nest a few levels; the bound
 * keeps a stream of `*1\r\n` headers from growing the decoder's stack without end.
 */
export const RESP_MAX_DEPTH = 128

/**
 * Most elements one RESP aggregate header may announce, entries for maps (1,048,576). Redis refuses
 * multibulk requests past 1,048,576 arguments too; a large `LRANGE` or `KEYS` reply past it needs
 * `resp({ maxElements })`.
 */
export const RESP_MAX_ELEMENTS = 1024 * 1024
