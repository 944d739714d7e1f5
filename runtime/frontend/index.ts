/**
 * The browser runtime, served as `/jit/runtime.js`. Page code imports it as 'jitlite/browser' (the
 * runtime's compiler maps that to `/jit/runtime.js`, so every bundle on a page shares one instance).
 *
 * @example
 * import { getRuntimeApp } from 'jitlite/browser'
 * const login = await getRuntimeApp().getElement('auths.loginTypes.MyWechatLogin')
 */
import { RuntimeApp } from './runtime-app.ts'

export type {
  AppMetadata,
  ElementMetadata,
  FrontendElementContext,
  FrontendElementFactory,
  SessionUser,
} from './contract.ts'
export { FrontendError } from './request.ts'
export { type CurrentSession, type PlainElement, RuntimeApp, type RuntimeAppOptions } from './runtime-app.ts'

let shared: RuntimeApp | undefined

/**
 * The page's app: one per page, so elements are fetched once whoever asks for them.
 *
 * @example
 * const user = await getRuntimeApp().getCurrentUser()
 */
export function getRuntimeApp(): RuntimeApp {
  shared ??= new RuntimeApp()
  return shared
}
