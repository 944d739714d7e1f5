import { defineType } from 'jitlite'
import type { LoginProvider } from 'jitlite/auth'
import { answeringStorageFaults, finishLogin, startLogin } from './flow.ts'

/**
 * The login family's flow, inherited by every login Type: the `login` and `callback` actions of each
 * Instance (`/api/<orgId>/<name>/auths/loginTypes/<Instance>/login?redirectUrl=` and `.../callback`).
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
  },
  // A login Type decides what of its config is public (LoginProvider.getLoginConfig).
  browserConfig: (provider: LoginProvider) => provider.getLoginConfig(),
})
