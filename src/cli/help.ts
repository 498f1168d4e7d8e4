import { CODEC_SPECS } from 'it-socket'

const FRAMINGS = CODEC_SPECS.join(', ')

/** `it-socket --help`. */
export const MAIN_HELP = `Usage: it-socket <command> [options]

TCP (optionally TLS), Unix and UDP sockets from the command line, with framing.

Commands:
  listen [HOST:]PORT | --unix PATH   a multi-client server: echo or print what peers send
  connect [HOST:]PORT | --unix PATH  stdin to the socket, the socket to stdout
  help [COMMAND]                     this text, or a command's

Options:
  -h, --help      show help (also: it-socket <command> --help)
  -V, --version   print the version

Examples:
  it-socket listen 7788 --echo --framing lines --until bye
  it-socket connect 7788 --framing lines
  it-socket listen 8443 --tls --cert server.pem --key server-key.pem --echo
  it-socket connect localhost:8443 --tls --ca ca.pem

Exit status: 0 done, 1 runtime error (refused, address in use, connection or TLS handshake failed),
2 usage error.
`

/** `it-socket listen --help`. */
export const LISTEN_HELP = `Usage: it-socket listen [HOST:]PORT | --unix PATH [options]

A multi-client server. Without --echo, each message received is printed to stdout, one per line,
prefixed with "[PEER] " while more than one peer is connected. stderr gets "listening on ADDRESS",
each connection's open and close, and errors, each naming the peer. Ctrl-C or SIGTERM stops
accepting, gives connections 2 s to finish, and exits 0 (twice: at once).

HOST defaults to 127.0.0.1 (loopback only); give 0.0.0.0 or [::] for every interface. PORT 0
picks a free port (see the "listening on" line).

Options:
  --unix PATH            listen on a Unix socket instead of a TCP port
  --echo                 send each message back to its sender instead of printing it
  --framing SPEC         how bytes become messages (default: raw; lines with --udp):
                         ${FRAMINGS}
  --until MSG            end a connection once it sent MSG (echoed first with --echo)
  --max-connections N    serve at most N connections at once; the rest wait unread
  --idle-timeout MS      close a connection after MS milliseconds without traffic
  --workers N            serve from N processes (node:cluster, round-robin; default 1): a
                         crashed worker is restarted (at most 5 times a minute), SIGTERM
                         drains them all
  --stats [SECONDS]      log a line of counters (connections active, accepted, closed; bytes
                         in and out; errors by code) every SECONDS (default 10; up to 86400),
                         and once more at exit; each worker its own. Not with --udp
  --udp                  a UDP socket: each datagram is one message (--framing raw or lines);
                         --echo sends each back to its sender
  --verbose              stack traces with errors, what each TLS connection negotiated, and
                         the proxy of each connection (also NODE_DEBUG=it-socket, with debug lines)
  -h, --help             this text

PROXY protocol (TCP only; behind a load balancer such as HAProxy or nginx):
  --proxy-protocol       require a PROXY header (v1 or v2) first on each connection; the peer
                         shown is the client it names. An untrusted peer, or a bad or late
                         (5 s) header, is logged and closed; the server goes on
  --trusted LIST         who may send the header: addresses or CIDR blocks separated by commas
                         (10.0.0.0/8,::1/128); default loopback only. Needs --proxy-protocol

TLS (TCP only; the other TLS options need --tls):
  --tls                  serve TLS: a client's failed handshake is logged, the server goes on
  --cert FILE            the server's certificate (PEM; the chain, leaf first), with --key
  --key FILE             its private key (PEM, unencrypted)
  --require-client-cert  mutual TLS: refuse a client without a certificate signed by --ca
  --ca FILE              with --require-client-cert: the CA certificates (PEM) to check it against
  --alpn LIST            ALPN protocols served, most preferred first (h2,http/1.1); a client
                         that offers none of them is refused

Examples:
  it-socket listen 7788 --echo --framing lines --until bye    the seed's multi-client echo server
  it-socket listen 0 --framing lp:uint32be                    print length-prefixed messages
  it-socket listen --unix /tmp/app.sock --framing json:lines  print NDJSON values
  it-socket listen 0.0.0.0:9000 --udp                         print datagrams from anywhere
  it-socket listen 8443 --tls --cert server.pem --key server-key.pem --echo --framing lines
  it-socket listen 8443 --tls --cert server.pem --key server-key.pem \\
                        --require-client-cert --ca ca.pem --verbose
  it-socket listen 0.0.0.0:7788 --proxy-protocol --trusted 10.0.0.11,10.0.0.12 --echo
  it-socket listen 0.0.0.0:7788 --echo --workers 4                 one worker per core
  it-socket listen 7788 --echo --stats 60                     a line of counters a minute
`

/** `it-socket connect --help`. */
export const CONNECT_HELP = `Usage: it-socket connect [HOST:]PORT | --unix PATH [options]

Sends stdin to the socket and prints what comes back. With a message framing each line of stdin
(without its newline) is one message, and each message received is printed on a line of its own;
with raw, bytes go both ways as they are. When stdin ends, our side is half-closed and the replies
are still printed until the server ends its side (or --until matched); then it exits 0.

HOST defaults to localhost: "connect 7788" is "connect localhost:7788".

Options:
  --unix PATH      connect to a Unix socket instead of a TCP port
  --framing SPEC   how bytes become messages (default: raw; lines with --udp):
                   ${FRAMINGS}
                   json framings send JSON.parse of each line and print JSON.stringify
  --until MSG      exit once a message received equals MSG (raw: a chunk equal to MSG)
  --timeout MS     give up connecting (TLS: and the handshake) after MS milliseconds
                   (with --udp: after stdin ends, exit once MS pass without a datagram; 1000)
  --udp            UDP: each stdin line is one datagram (each chunk with --framing raw),
                   each datagram received is printed
  --verbose        stack traces with errors, what TLS negotiated, and at exit the bytes
                   sent and received (also NODE_DEBUG=it-socket, with debug lines)
  -h, --help       this text

TLS (TCP only; the other TLS options need --tls):
  --tls            speak TLS: the server's certificate must be signed by a trusted CA (Node.js's
                   list, or --ca) and name HOST (or --servername); else exit 1 naming the reason
  --ca FILE        trust the CA certificates in FILE (PEM) instead of Node.js's list
  --cert FILE      our certificate (PEM), for a server that asks for one; with --key
  --key FILE       its private key (PEM, unencrypted)
  --servername NAME
                   the name sent in SNI and checked against the certificate (default: HOST,
                   when it is a name)
  --alpn LIST      ALPN protocols to offer, most preferred first (h2,http/1.1)
  --insecure       do not verify the server's certificate (tests only: prints a warning)

Examples:
  it-socket connect 7788 --framing lines                  type lines; Ctrl-D ends
  printf 'hi\\nbye\\n' | it-socket connect 7788 --framing lines --until bye
  it-socket connect example.internal:9000 --framing lp --timeout 5000 < requests.txt
  echo '{"op":"ping"}' | it-socket connect --unix /tmp/app.sock --framing json:lines
  echo ping | it-socket connect 7788 --udp
  it-socket connect localhost:8443 --tls --ca ca.pem --framing lines
  it-socket connect 8443 --tls --ca ca.pem --cert client.pem --key client-key.pem --verbose
`

/** The help text of a command, or the main one. */
export function helpFor(command: string | undefined): string {
  if (command === 'listen') return LISTEN_HELP
  if (command === 'connect') return CONNECT_HELP
  return MAIN_HELP
}
