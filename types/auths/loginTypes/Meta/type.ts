import { defineType } from 'jitlite'
import type { LoginProvider } from 'jitlite/auth'
import {
  cancelDesktopLogin,
  claimDesktopLogin,
  desktopEvents,
  desktopStatus,
  startDesktopLogin,
} from './desktop.ts'
import { confirmPage, decide, scanTicket } from './desktop-phone.ts'
import { answeringStorageFaults, finishLogin, startLogin } from './flow.ts'

/**
 * The login family's flow, inherited by every login Type: the `login` and `callback` actions of each
 * Instance, and the desktop sign-in by scanning a QR code with a phone (the `desktop*` and `scan`
 * actions) (`/api/<orgId>/<name>/auths/loginTypes/<Instance>/login?redirectUrl=` and `.../callback`).
 * A Type supplies the rest by loading its Instances to a `LoginProvider` (from `jitlite/auth`). Routes
 * merge per action along the type chain: a Type may add actions of its own and keeps these two.
 *
 * @example
 * // auths/loginTypes/GithubType/type.ts: a second login Type is one folder
 * import { defineType, secret, z } from 'jitlite'
 * import type { LoginProvider } from 'jitlite/auth'
 *
 * export default defineType({
 *   config: z.object({ clientId: z.string(), clientSecret: secret(z.string()) }),
 *   load: ({ config }): LoginProvider => new GithubLogin(config),
 * })
 */
export default defineType({
  // Login states (flow.ts) and sessions live in the default database.
  uses: ['databases.Default'],
  routes: {
    login: { method: 'GET', handler: answeringStorageFaults(startLogin) },
    callback: { method: 'GET', handler: answeringStorageFaults(finishLogin) },
    // Desktop sign-in by scanning (desktop.ts, desktop-phone.ts): the desktop's JSON and events...
    desktopStart: { method: 'POST', handler: startDesktopLogin },
    desktopEvents: { method: 'GET', handler: desktopEvents },
    desktopStatus: { method: 'GET', handler: desktopStatus },
    desktopClaim: { method: 'POST', handler: claimDesktopLogin },
    desktopCancel: { method: 'POST', handler: cancelDesktopLogin },
    // ...and the phone's pages.
    scan: { method: 'GET', handler: answeringStorageFaults(scanTicket) },
    desktopConfirm: { method: 'GET', handler: answeringStorageFaults(confirmPage) },
    desktopDecide: { method: 'POST', handler: answeringStorageFaults(decide) },
  },
  // A login Type decides what of its config is public (LoginProvider.getLoginConfig).
  browserConfig: (provider: LoginProvider) => provider.getLoginConfig(),
})
