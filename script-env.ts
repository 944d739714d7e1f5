// Types for scripts run by `jit run <script.ts>`: the running app is in scope as `app`.
// A script opts in with: /// <reference types="jitlite/script" />
// A .ts file (not .d.ts) so that the packed declarations include it (tsc emits no copy of a .d.ts).
import type { JitApp } from './runtime/app.ts'

declare global {
  var app: JitApp
}
