/**
 * What the Instances of QywxInnerType share across reload generations: one WeCom client and one app
 * token cache per Instance config, and the field cipher that encrypts the cached token. They live in the
 * runtime's shared resources, so a reload that leaves an Instance's config as it was keeps its token in
 * memory, and a fetch in flight is joined, not repeated.
 */
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { AppInfo, Logger, SharedResources } from 'jitlite'
import { type FieldCipher, loadFieldCipher } from 'jitlite/crypto'
import type { Database } from 'jitlite/db'
import { AppTokenCache } from './app-token.ts'
import { WecomClient } from './client/index.ts'
import type { QywxInnerConfig, WecomHosts } from './config.ts'

export interface WecomConnection {
  readonly client: WecomClient
  readonly tokens: AppTokenCache
}

/**
 * @example
 * const { client, tokens } = wecomConnection(ctx.resources, config, hosts, cipher, () => ctx.getElement('databases.Default'))
 */
export function wecomConnection(
  resources: SharedResources,
  config: QywxInnerConfig,
  hosts: WecomHosts,
  cipher: FieldCipher,
  database: () => Database,
): WecomConnection {
  // The key identifies the settings the client is built from; the secret enters it only hashed.
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([
        config.corpId,
        config.agentId,
        config.corpSecret,
        hosts.oauthBaseUrl,
        hosts.loginBaseUrl,
        hosts.apiBaseUrl,
        config.attemptTimeoutMs,
        config.totalDeadlineMs,
      ]),
    )
    .digest('base64url')
  return resources.acquire(
    `qywx-inner-connection:${fingerprint}`,
    () => {
      const client = new WecomClient({
        corpId: config.corpId,
        corpSecret: config.corpSecret,
        agentId: config.agentId,
        ...hosts,
        attemptTimeoutMs: config.attemptTimeoutMs,
        totalDeadlineMs: config.totalDeadlineMs,
      })
      const tokens = new AppTokenCache({
        db: () => database().kysely,
        cipher,
        corpId: config.corpId,
        agentId: config.agentId,
        corpSecret: config.corpSecret,
        apiBaseUrl: hosts.apiBaseUrl,
        fetch: () => client.getToken(),
        claimMs: config.totalDeadlineMs + 5000,
        waitMs: config.totalDeadlineMs + 5000,
      })
      return { client, tokens }
    },
    () => {},
  )
}

/** Where a development key file is kept when JIT_SECRET_KEY is unset: `<app>/.jitlite/secret.key` (git-ignored). */
export function developmentKeyFile(app: AppInfo): string {
  return path.join(app.dir, '.jitlite', 'secret.key')
}

/**
 * The cipher for the cached token: JIT_SECRET_KEY, or in development a key file created on first use
 * (the same file every login Type of the app uses). Production without JIT_SECRET_KEY throws
 * JIT_SECRET_KEY_MISSING.
 */
export function fieldCipher(
  resources: SharedResources,
  app: AppInfo,
  log: Logger,
  env: Readonly<Record<string, string | undefined>>,
): FieldCipher {
  const keyFilePath = developmentKeyFile(app)
  return resources.acquire(
    `field-cipher:${app.mode}:${keyFilePath}`,
    () => {
      const cipher = loadFieldCipher({ env, development: app.mode === 'development', keyFilePath })
      if (cipher.source.kind === 'file' && cipher.source.created) {
        log.info(
          `created a development key for stored tokens at ${path.relative(app.dir, keyFilePath)}; set JIT_SECRET_KEY in production`,
        )
      }
      return cipher
    },
    () => {},
  )
}
