// Types for scripts run by `jit run <script.ts>`: the running app is in scope as `app`.
// A script opts in with: /// <reference types="jitlite/script" />
import type { JitApp } from './runtime/app.ts'

declare global {
  var app: JitApp
}
