/**
 * it-socket: TCP and Unix sockets as async-iterable duplexes, in the it-stream-types convention,
 * with framing codecs (length-prefixed, lines, delimited, fixed) that slot into `pipe()`.
 *
 * ```ts
 * import { listen, pipe } from 'it-socket'
 *
 * await using server = await listen({ port: 7788 })
 * await server.serve((conn) => pipe(conn, conn)) // an echo server
 * ```
 *
 * @packageDocumentation
 */

export {
  AbortError,
  AddressInUseError,
  ConnectionRefusedError,
  ConnectionResetError,
  DatagramTooLargeError,
  FrameTooLongError,
  HostNotFoundError,
  InvalidFrameError,
  ItSocketError,
  type ItSocketErrorOptions,
  ProxyProtocolError,
  ReadInUseError,
  ServerBusyError,
  SinkInUseError,
  SocketClosedError,
  SocketError,
  TimeoutError,
  TlsError,
  UnexpectedEndError,
  UnwrappedError,
} from './errors.js'
export type {
  AnyCodec,
  ByteCodec,
  Codec,
  CodecKind,
  FrameDecoder,
  JsonCodec,
  TextCodec,
} from './framing/codec.js'
export { CODEC_SPECS, type CodecSpecOptions, codec } from './framing/codec-spec.js'
export { decodeWith } from './framing/decode-with.js'
export { defineCodec } from './framing/define-codec.js'
export { type DelimitedOptions, delimited } from './framing/delimited.js'
export { encodeWith } from './framing/encode-with.js'
export { fixed } from './framing/fixed.js'
export {
  type AbortOptions,
  type ByteDuplex,
  type Framed,
  type FramedOptions,
  type FramedStats,
  framed,
  type UnwrappedDuplex,
} from './framing/framed.js'
export { json } from './framing/json.js'
export {
  type LengthFieldOptions,
  type LengthFieldWidth,
  lengthField,
} from './framing/length-field.js'
export {
  LENGTH_ENCODINGS,
  type LengthEncoding,
  type LengthPrefixedOptions,
  lengthPrefixed,
} from './framing/length-prefixed.js'
export { type LinesOptions, lines } from './framing/lines.js'
export {
  dnsTcp,
  kafka,
  mqtt,
  mysql,
  type PostgresOptions,
  type PresetOptions,
  postgres,
} from './framing/presets.js'
export { raw } from './framing/raw.js'
export {
  type RespCodec,
  type RespCommand,
  type RespError,
  type RespOptions,
  type RespPair,
  type RespValue,
  resp,
  respCommand,
} from './framing/resp.js'
export { text } from './framing/text.js'
export { type UntilOptions, until } from './framing/until.js'
export {
  CLOSE_TIMEOUT,
  LISTEN_BACKLOG,
  MAX_FRAME_LENGTH,
  MAX_LINE_LENGTH,
  MAX_OUTSTANDING_REQUESTS,
  MAX_OUTSTANDING_SENDS,
  MAX_PENDING_CONNECTIONS,
  MAX_TIMER_MS,
  PAIR_HIGH_WATER_MARK,
  PROXY_HEADER_TIMEOUT,
  RESP_MAX_BULK_LENGTH,
  RESP_MAX_DEPTH,
  RESP_MAX_ELEMENTS,
  RESP_MAX_LINE_LENGTH,
  SERVER_CLOSE_TIMEOUT,
  SOCKET_HIGH_WATER_MARK,
  SOURCE_HIGH_WATER_MARK,
  TLS_HANDSHAKE_TIMEOUT,
  UDP_QUEUE_SIZE,
  WEB_STREAM_HIGH_WATER_MARK,
} from './limits.js'
export {
  CHANNELS,
  type ConnectionCloseMessage,
  type ConnectionErrorMessage,
  type ConnectionOpenMessage,
  type ServerCloseMessage,
  type ServerErrorMessage,
  type ServerListenMessage,
} from './observe/diagnostics.js'
export type { ConnectionStats, ServerStats } from './observe/stats.js'
export { type ConnectionLike, type DuplexPairOptions, duplexPair } from './pair/duplex-pair.js'
export { type PipeSink, type PipeSource, type PipeTransform, pipe } from './pipe.js'
export type { ProxyProtocolOptions } from './proxy/proxy-reader.js'
export type {
  ProxyAddress,
  ProxyHeader,
  ProxyHeaderInit,
  ProxySslInfo,
  ProxyTlv,
  ProxyTlvs,
} from './proxy/types.js'
export { type ListenOptions, listen } from './server/listen.js'
export type {
  ConnectionHandler,
  ErrorReporter,
  ServeOptions,
  Server,
  ServerCloseOptions,
} from './server/server.js'
export { formatAddress, type NetAddress, type SocketAddress, type UnixAddress } from './socket/address.js'
export {
  type CommonConnectOptions,
  type ConnectOptions,
  connect,
  type TcpConnectOptions,
  type UnixConnectOptions,
} from './socket/connect.js'
export type { Chunk, CloseOptions, Connection } from './socket/connection.js'
export {
  type Datagram,
  type DatagramConnection,
  type DatagramSocket,
  type OutgoingDatagram,
  type UdpBindOptions,
  type UdpConnectOptions,
  type UdpType,
  udp,
} from './socket/udp.js'
export { startTls } from './tls/start-tls.js'
export type { TlsInfo } from './tls/tls-info.js'
export type {
  Pem,
  StartTlsClientOptions,
  StartTlsOptions,
  StartTlsServerOptions,
  TlsCertificate,
  TlsConnectOptions,
  TlsListenOptions,
  TlsVersion,
} from './tls/tls-options.js'
export {
  fromWebStreams,
  type WebStreamDuplex,
  type WebStreamPair,
} from './web/from-web-streams.js'
export {
  type ToWebStreamsDuplex,
  type ToWebStreamsOptions,
  toWebStreams,
  type WebStreams,
} from './web/to-web-streams.js'
