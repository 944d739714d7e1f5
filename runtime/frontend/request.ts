import type { ErrorCode } from '../errors.ts'

/**
 * An error the browser runtime meets: the server's code when it sent one (JIT_ELEMENT_NOT_FOUND,
 * JIT_HTTP_LOGIN_REQUIRED, ...), else JIT_FRONTEND_REQUEST_FAILED for a network failure or an answer
 * that is not the runtime's JSON.
 */
export class FrontendError extends Error {
  readonly code: ErrorCode
  /** The HTTP status, or 0 when no answer came. */
  readonly status: number

  constructor(code: ErrorCode, message: string, status: number, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'FrontendError'
    this.code = code
    this.status = status
  }
}

export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>

/** The runtime's JSON envelope: `{errcode, errmsg, data}`, plus `code` on errors. */
interface Envelope {
  errcode?: number
  errmsg?: string
  code?: ErrorCode
  data?: unknown
}

/**
 * Fetches `url` and parses the runtime's JSON answer. Resolves to the parsed body of a 2xx answer;
 * throws a FrontendError for anything else, carrying the server's code and message.
 */
export async function requestJson<T>(fetchFn: FetchFunction, url: string, init?: RequestInit): Promise<T> {
  const pathOnly = url.split('?')[0]
  let response: Response
  try {
    response = await fetchFn(url, {
      credentials: 'same-origin',
      ...init,
      headers: { accept: 'application/json', ...init?.headers },
    })
  } catch (err) {
    throw new FrontendError(
      'JIT_FRONTEND_REQUEST_FAILED',
      `${pathOnly} could not be reached (${(err as Error)?.message ?? 'network error'}): check that the server is running`,
      0,
      { cause: err },
    )
  }
  let body: unknown
  try {
    body = await response.json()
  } catch (err) {
    throw new FrontendError(
      'JIT_FRONTEND_REQUEST_FAILED',
      `${pathOnly} answered ${response.status} without the runtime's JSON: is a proxy in front of the app rewriting it?`,
      response.status,
      { cause: err },
    )
  }
  if (response.ok) return body as T
  const envelope = (typeof body === 'object' && body !== null ? body : {}) as Envelope
  throw new FrontendError(
    envelope.code ?? 'JIT_FRONTEND_REQUEST_FAILED',
    envelope.errmsg ?? `${pathOnly} answered ${response.status}`,
    response.status,
  )
}
