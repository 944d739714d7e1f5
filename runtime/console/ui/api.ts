import type {
  AppSummary,
  CheckResult,
  DiffFile,
  ElementDetail,
  ElementSummary,
  Family,
  TrashEntry,
  TypeInfo,
} from './types.ts'

const BASE = '/__jit/api'

/** An answer other than 2xx: its status, the server's code and message, and errors by field path. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly fieldErrors: Record<string, string>

  constructor(status: number, code: string, message: string, fieldErrors: Record<string, string> = {}) {
    super(message)
    this.status = status
    this.code = code
    this.fieldErrors = fieldErrors
  }
}

/** The per-process token every write carries (the page got it from the server, in a meta tag). */
function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="jit-csrf"]')?.content ?? ''
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET') headers['x-jit-csrf'] = csrfToken()
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(`${BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    })
  } catch {
    throw new ApiError(
      0,
      'JIT_CONSOLE_OFFLINE',
      'The dev server does not answer: is `jit dev` still running?',
    )
  }
  const text = await response.text()
  let data: unknown
  try {
    data = text ? JSON.parse(text) : undefined
  } catch {
    data = undefined
  }
  if (!response.ok) throw errorOf(response.status, data)
  return data as T
}

function errorOf(status: number, data: unknown): ApiError {
  const error = (
    data as { error?: { code?: string; message?: string; fieldErrors?: Record<string, string> } }
  )?.error
  if (error) {
    return new ApiError(status, error.code ?? `HTTP_${status}`, error.message ?? '', error.fieldErrors ?? {})
  }
  // The server's generic error shape (`{ errcode, errmsg, code }`) for routes outside the console.
  const generic = data as { errmsg?: string; code?: string } | undefined
  return new ApiError(status, generic?.code ?? `HTTP_${status}`, generic?.errmsg ?? `HTTP ${status}`)
}

const name = (fullName: string) => encodeURIComponent(fullName)

export const api = {
  app: () => request<AppSummary>('GET', '/app'),
  elements: () => request<{ version: number; elements: ElementSummary[] }>('GET', '/elements'),
  families: () => request<Family[]>('GET', '/families'),
  /** With `instance`, the Type's help names that Instance (its callback URL, say). */
  type: (fullName: string, instance?: string) =>
    request<TypeInfo>(
      'GET',
      `/types/${name(fullName)}${instance ? `?name=${encodeURIComponent(instance)}` : ''}`,
    ),
  element: (fullName: string) => request<ElementDetail>('GET', `/elements/${name(fullName)}`),
  create: (body: {
    type: string
    name: string
    title?: string
    config: unknown
    secretValues?: Record<string, string>
  }) => request<{ fullName: string; files: Record<string, string> }>('POST', '/elements', body),
  diff: (fullName: string, body: { config: unknown; title?: string }) =>
    request<{ files: DiffFile[] }>('POST', `/elements/${name(fullName)}/diff`, body),
  save: (
    fullName: string,
    body: { config: unknown; title?: string; baseHash: string; secretValues?: Record<string, string> },
  ) => request<{ hash: string }>('PUT', `/elements/${name(fullName)}`, body),
  undo: (fullName: string) => request<unknown>('POST', `/elements/${name(fullName)}/undo`),
  remove: (fullName: string) => request<{ trashId: string }>('DELETE', `/elements/${name(fullName)}`),
  trash: () => request<TrashEntry[]>('GET', '/trash'),
  restore: (trashId: string) => request<unknown>('POST', `/trash/${encodeURIComponent(trashId)}/restore`),
  override: (fullName: string) =>
    request<{ fullName: string; files: Record<string, string> }>(
      'POST',
      `/elements/${name(fullName)}/override`,
    ),
  checkType: (typeName: string, body: { config: unknown; secretValues?: Record<string, string> }) =>
    request<CheckResult>('POST', `/types/${name(typeName)}/check`, body),
}
