/**
 * `jitlite/http`: what a Type needs to serve HTTP: its actions (`routes`), pages (`page`) and a
 * provider sandbox (`sandbox`), all members of `defineType`.
 */
export type {
  HttpAction,
  LiveRowCaps,
  PageDefinition,
  PageRenderContext,
  RouteContext,
  SandboxDefinition,
} from '../http/contract.ts'
export type { Session, SessionStore, SessionUser } from '../http/sessions.ts'
