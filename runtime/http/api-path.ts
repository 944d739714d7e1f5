import type { AppInfo } from '../define.ts'

/** Where the app's element actions are served: `/api/<orgId>/<name>`. */
export function apiBase(app: AppInfo): string {
  return `/api/${app.orgId}/${app.name}`
}

/** The path of an element under the app's API: `/api/<orgId>/<name>/<fullName with / for .>`. */
export function elementApiPath(app: AppInfo, fullName: string): string {
  return `${apiBase(app)}/${fullName.split('.').join('/')}`
}
