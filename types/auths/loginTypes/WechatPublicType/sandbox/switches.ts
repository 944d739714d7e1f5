import { z } from 'zod'

/**
 * Switches for the behaviours docs/wechat-protocol.md#uncertain-behaviour lists, so that a client
 * can be tested against each variant. The defaults are what today's WeChat is believed to do.
 */
export const switchesSchema = z.strictObject({
  /** Deny on the consent sheet: "stay" = no redirect at all (today); "legacyRedirect" = back with `state=` and no code. */
  denyMode: z.enum(['stay', 'legacyRedirect']),
  /** What an expired code answers: 40029 (usual) or 42003 ("code expired", in the tables). */
  expiredCodeErrcode: z.union([z.literal(40029), z.literal(42003)]),
  /**
   * What a refresh does to the refresh token: "keep" = same token, same 30 days from the first grant;
   * "extend" = same token, 30 days from now; "rotate" = a new token, the old one answers 40030.
   */
  refreshTokenMode: z.enum(['keep', 'extend', 'rotate']),
  /** Deliver every redirect to redirect_uri twice (same code), unless the URL carries `connect_redirect=1`. */
  doubleRedirect: z.boolean(),
  /** Refuse an empty state with 10013 (WeChat can); false sends `state=` back. */
  emptyStateRefused: z.boolean(),
  /** Refuse a state outside `[A-Za-z0-9]{1,128}` with a parameter error page. */
  strictState: z.boolean(),
  /** A wrong secret on the code exchange: 40125 (today) or 40001 (older servers). */
  badSecretErrcode: z.union([z.literal(40125), z.literal(40001)]),
  /** userinfo: "current" (since October 2021: sex 0, places "") or "legacy" (sex as a string, places by lang). */
  userinfoShape: z.enum(['current', 'legacy']),
  /** Content-Type of every /sns answer. */
  contentType: z.enum(['text/plain', 'application/json; encoding=utf-8']),
  /** Calls per minute per account and endpoint before 45011 (WeChat: 50,000). */
  quotaPerMinute: z.int().positive(),
  /**
   * Whether the caller's IP is on every account's IP whitelist: false makes `stable_token` answer
   * 40164, as WeChat does for a server whose egress IP the account has not listed.
   */
  callerIpWhitelisted: z.boolean(),
})

export type SandboxSwitches = z.output<typeof switchesSchema>

export const DEFAULT_SWITCHES: Readonly<SandboxSwitches> = Object.freeze({
  denyMode: 'stay',
  expiredCodeErrcode: 40029,
  refreshTokenMode: 'keep',
  doubleRedirect: false,
  emptyStateRefused: true,
  strictState: true,
  badSecretErrcode: 40125,
  userinfoShape: 'current',
  contentType: 'text/plain',
  quotaPerMinute: 50_000,
  callerIpWhitelisted: true,
})

export const switchesPatchSchema = switchesSchema.partial()
