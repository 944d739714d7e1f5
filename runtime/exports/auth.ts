/**
 * `jitlite/auth`: the login family's contract. A login Type (an `auths.loginTypes.Meta` Type) loads
 * each Instance to a `LoginProvider`; the family's flow does the rest.
 */
export type { CallbackParams, LoginProvider, LoginResult } from '../auth/login-provider.ts'
export type { Session, SessionUser } from '../http/sessions.ts'
