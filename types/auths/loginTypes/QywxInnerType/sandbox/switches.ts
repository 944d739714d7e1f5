import { z } from 'zod'

/**
 * Switches for the behaviours docs/wecom-protocol.md#uncertain-behaviour lists, so that a client can be
 * tested against each variant, plus a few developer conveniences. The defaults are what today's WeCom
 * is believed to do.
 */
export const switchesSchema = z.strictObject({
  /**
   * gettoken while the app's token is valid: "sameRemaining" = the same token, expires_in counting
   * down (default); "sameRestart" = the same token with a fresh 7200 s; "new" = a new token (the old
   * one stays valid until its own expiry).
   */
  tokenReuse: z.enum(['sameRemaining', 'sameRestart', 'new']),
  /** What an expired app token answers: 42001 (documented) or 40014 (reported since 2024). */
  expiredTokenErrcode: z.union([z.literal(42001), z.literal(40014)]),
  /** A secret reset revokes the tokens issued with the old secret (40014 on their next use). */
  secretResetRevokesTokens: z.boolean(),
  /** gettoken also obeys the trusted-IP list (it has been seen to succeed from unlisted IPs). */
  gettokenChecksIp: z.boolean(),
  /** A code is bound to the agentid that asked for it: another app's token gets 40029. */
  codeBoundToAgent: z.boolean(),
  /** auth/getuserinfo sends `expires_in` (1800) beside a user_ticket. */
  ticketExpiresIn: z.boolean(),
  /** auth/getuserinfo answers with the legacy capitalised keys (UserId, OpenId, DeviceId). */
  legacyKeys: z.boolean(),
  /** Where errcode/errmsg go: first (usual) or after the data keys (seen in logged bodies). */
  keyOrder: z.enum(['errcodeFirst', 'dataFirst']),
  /** Escape "/" as "\/" in every JSON answer (some payloads do). */
  escapeSlashes: z.boolean(),
  /** What an unknown or expired user_ticket answers (WeCom documents no code). */
  badTicketErrcode: z.int(),
  /** Fields withheld by getuserdetail (not enabled or not consented): "empty" strings or "absent" keys. */
  withheldDetail: z.enum(['empty', 'absent']),
  /** Fields user/get withholds from an app created after 2022-06-20: "absent" keys or "null" values. */
  withheldProfile: z.enum(['absent', 'null']),
  /** Refuse in-client parameters out of the documented order (appid, redirect_uri, response_type, scope, state, agentid). */
  strictOrder: z.boolean(),
  /** Refuse an in-client state outside [A-Za-z0-9]{0,128}. */
  strictState: z.boolean(),
  /** snsapi_privateinfo without agentid: treated as "base", or an "error" page. */
  privateinfoWithoutAgentid: z.enum(['base', 'error']),
  /** snsapi_userinfo (older docs): treated as "base", or refused as an "error". */
  userinfoScope: z.enum(['base', 'error']),
  /** Refusing the privateinfo consent: "redirectBase" = back with a code that yields no ticket; "stay" = no redirect. */
  privateinfoRefusal: z.enum(['redirectBase', 'stay']),
  /** The in-client page outside the WeCom/WeChat client shows "请在微信客户端打开链接" and never redirects. */
  requireClientUserAgent: z.boolean(),
  /** Show the "who holds this client" picker on silent snsapi_base logins too (default: the remembered or default member). */
  pickerOnBase: z.boolean(),
  /** Cancel on the web login page: "redirect" back with state and no code (legacy doc), or "stay". */
  webCancel: z.enum(['redirect', 'stay']),
  /** Add `appid=CORPID` to the web login callback: "legacyPage" (qrConnect only), "always", "never". */
  webCallbackAppid: z.enum(['legacyPage', 'always', 'never']),
  /** Deliver every redirect to redirect_uri twice with the same code (reload, prefetch, two tabs). */
  doubleRedirect: z.boolean(),
  /** Calls per minute per corp and API before 45009 (WeCom: 10,000). */
  ratePerMinute: z.int().positive(),
})

export type WecomSandboxSwitches = z.output<typeof switchesSchema>

export const DEFAULT_SWITCHES: Readonly<WecomSandboxSwitches> = Object.freeze({
  tokenReuse: 'sameRemaining',
  expiredTokenErrcode: 42001,
  secretResetRevokesTokens: true,
  gettokenChecksIp: false,
  codeBoundToAgent: false,
  ticketExpiresIn: false,
  legacyKeys: false,
  keyOrder: 'errcodeFirst',
  escapeSlashes: false,
  badTicketErrcode: 40029,
  withheldDetail: 'empty',
  withheldProfile: 'absent',
  strictOrder: false,
  strictState: true,
  privateinfoWithoutAgentid: 'base',
  userinfoScope: 'base',
  privateinfoRefusal: 'redirectBase',
  requireClientUserAgent: true,
  pickerOnBase: false,
  webCancel: 'redirect',
  webCallbackAppid: 'legacyPage',
  doubleRedirect: false,
  ratePerMinute: 10_000,
})

export const switchesPatchSchema = switchesSchema.partial()
