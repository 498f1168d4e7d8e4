/**
 * it-socket: TCP and Unix sockets as async-iterable duplexes, in the it-stream-types convention.
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

export { pipe } from 'it-pipe'
export {
  AbortError,
  AddressInUseError,
  ConnectionRefusedError,
  ConnectionResetError,
  FrameTooLongError,
  InvalidFrameError,
  ItSocketError,
  type ItSocketErrorOptions,
  ServerBusyError,
  SinkInUseError,
  SocketClosedError,
  SocketError,
  TimeoutError,
  UnexpectedEndError,
} from './errors.js'
export {
  CLOSE_TIMEOUT,
  MAX_FRAME_LENGTH,
  MAX_LINE_LENGTH,
  MAX_PENDING_CONNECTIONS,
  SERVER_CLOSE_TIMEOUT,
  SOURCE_HIGH_WATER_MARK,
} from './limits.js'
export { type ListenOptions, listen } from './server/listen.js'
export {
  type ConnectionHandler,
  type ErrorReporter,
  type ServeOptions,
  Server,
  type ServerCloseOptions,
} from './server/server.js'
export type { NetAddress, SocketAddress, UnixAddress } from './socket/address.js'
export {
  type CommonConnectOptions,
  type ConnectOptions,
  connect,
  type TcpConnectOptions,
  type UnixConnectOptions,
} from './socket/connect.js'
export { type Chunk, type CloseOptions, Connection } from './socket/connection.js'
