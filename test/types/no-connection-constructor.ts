// Compile-time check (run by `npm run typecheck`): `Connection` is exported as a type only, so there is no
// constructor to call, and importing it as a value must fail. Were it a value export again, both
// directives below would go unused and the typecheck would fail. (A file of its own, so that
// organizing imports cannot merge this import into a type-only one.)
// @ts-expect-error: connections are made by connect() and by servers
import { Connection as ConnectionValue } from 'it-socket'

// @ts-expect-error: the same, where it is used as a value
export const connectionValue: unknown = ConnectionValue
