// Compile-time check (run by `npm run typecheck`): `Server` is exported as a type only, so there is no
// constructor to call, and importing it as a value must fail. Were it a value export again, both
// directives below would go unused and the typecheck would fail. (A file of its own, so that
// organizing imports cannot merge this import into a type-only one.)
// @ts-expect-error: servers are made by listen()
import { Server as ServerValue } from 'it-socket'

// @ts-expect-error: the same, where it is used as a value
export const serverValue: unknown = ServerValue
