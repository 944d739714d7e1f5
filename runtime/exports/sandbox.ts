/**
 * `jitlite/sandbox`: the provider-independent parts of a provider sandbox (a local emulator of a login
 * provider's servers, for development and tests): the movable clock, the fault queue and its HTTP
 * answers, per-minute quotas, option errors, the generic admin routes, its own server and the
 * `jit sandbox <name>` runner. See docs/sandbox-toolkit.md.
 */
export {
  type AdminBody,
  type AdminRoute,
  registerSandboxAdmin,
  type SandboxAdminOptions,
  type SandboxControl,
} from '../sandbox/admin.ts'
export { runSandboxCommand, type SandboxCliIo, type SandboxCommand } from '../sandbox/cli.ts'
export { SandboxClock } from '../sandbox/clock.ts'
export { SandboxCore, type SandboxCoreOptions } from '../sandbox/core.ts'
export { SandboxError } from '../sandbox/errors.ts'
export {
  type DrawnFault,
  FaultBook,
  type FaultChecks,
  type FaultOptions,
  type FaultsDescription,
  type FaultTarget,
  faultOptionsSchema,
  faultSchema,
  faultTargetSchema,
  type ParsedFault,
  type SandboxFault,
} from '../sandbox/faults.ts'
export { type FixturesReading, readFixtures } from '../sandbox/fixtures.ts'
export {
  answerWithFault,
  type FaultAnswers,
  type FaultSource,
  gatewayPage,
  HungSockets,
  serveWithFaults,
  waitLatency,
} from '../sandbox/http-faults.ts'
export { mountSandbox, type SandboxMount } from '../sandbox/mount.ts'
export { type OptionParser, optionParser } from '../sandbox/options.ts'
export { PAGE_CSP, sendPage } from '../sandbox/pages.ts'
export { MinuteQuota } from '../sandbox/quota.ts'
export {
  addToRedirect,
  DOUBLE_DELIVERY_CSP,
  deliverRedirect,
  hostMatchesDomain,
  parseHttpUrl,
} from '../sandbox/redirects.ts'
export { cookieValue, firstQueryValues, parseFormBodies, rawQuery } from '../sandbox/requests.ts'
export { listenSandbox, type SandboxServer } from '../sandbox/server.ts'
export { ExpiredSweeper, KEEP_EXPIRED_MS } from '../sandbox/sweep.ts'
