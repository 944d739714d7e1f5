/**
 * jitlite's public surface. Scripts and element code import from here ('jitlite'); everything else
 * under runtime/ is internal.
 */
export { z } from 'zod'
export type { CreateAppOptions, ElementListing, JitApp } from './app.ts'
export { createApp } from './app.ts'
export { secret } from './config/secrets.ts'
export type {
  Database,
  DataTypeName,
  Filter,
  ModelHandle,
  QueryOptions,
  QueryResultPage,
  RowOf,
  UpsertOptions,
} from './db/index.ts'
export type {
  AppInfo,
  CheckContext,
  CheckResult,
  ElementInfo,
  LoadContext,
  OwnerInfo,
  PrepareContext,
  SharedResources,
  TypeDefinition,
  TypeHelp,
  TypeHelpContext,
} from './define.ts'
export { defineType } from './define.ts'
export type { ErrorCode } from './errors.ts'
export { ElementNotFoundError, ErrorCodes, JitError } from './errors.ts'
export { currentSession } from './http/functions.ts'
export type { Session, SessionUser } from './http/sessions.ts'
export type { LogFields, Logger } from './log.ts'
export type { Metrics, ProviderCall } from './metrics/contract.ts'
export { noMetrics } from './metrics/contract.ts'
export type { JitAppEvents, ReloadResult } from './reload/result.ts'
export { Service } from './service.ts'
