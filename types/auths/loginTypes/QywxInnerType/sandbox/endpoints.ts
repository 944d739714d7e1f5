import type { FaultTarget as FaultTargetOf } from 'jitlite/sandbox'

export type { FaultOptions, SandboxFault } from 'jitlite/sandbox'

/** The sandbox endpoints that count calls and accept faults (jitlite/sandbox's fault queue). */
export const ENDPOINTS = [
  'authorize',
  'web_login',
  'gettoken',
  'getuserinfo',
  'legacy_getuserinfo',
  'getuserdetail',
  'user_get',
  'department_list',
  'user_list',
] as const
export type SandboxEndpoint = (typeof ENDPOINTS)[number]
/** A fault or latency for `all` applies to every endpoint. */
export type FaultTarget = FaultTargetOf<SandboxEndpoint>

/** WeCom's errcodes for the `busy` and `quota` faults: -1 "system busy", 45009 the rate limit. */
export const FAULT_ERRCODES = { busy: -1, quota: 45009 } as const
