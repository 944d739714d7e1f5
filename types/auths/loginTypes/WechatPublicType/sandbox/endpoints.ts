import type { FaultTarget as FaultTargetOf } from 'jitlite/sandbox'

export type { FaultOptions, SandboxFault } from 'jitlite/sandbox'

/** The sandbox endpoints that count calls and accept faults (jitlite/sandbox's fault queue). */
export const ENDPOINTS = [
  'authorize',
  'access_token',
  'refresh_token',
  'userinfo',
  'auth',
  'stable_token',
] as const
export type SandboxEndpoint = (typeof ENDPOINTS)[number]
/** A fault or latency for `all` applies to every endpoint. */
export type FaultTarget = FaultTargetOf<SandboxEndpoint>

/** WeChat's errcodes for the `busy` and `quota` faults: -1 "system error", 45011 the per-minute quota. */
export const FAULT_ERRCODES = { busy: -1, quota: 45011 } as const
