/** Where to listen or connect: a TCP address, or a Unix socket path. */
export type Target = { host: string | undefined; port: number; path?: undefined } | { path: string }
