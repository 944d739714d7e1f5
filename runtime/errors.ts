/**
 * Every error a user of jitlite can meet has a code from this file, a message that says how to fix
 * it, and where known the file and field it concerns. Messages never carry a secret value: callers
 * pass secret values to `redact()` or build messages without them.
 */
import path from 'node:path'

export const ErrorCodes = {
  // Element folders and e.json
  JIT_EJSON_MALFORMED: 'e.json is not valid JSON',
  JIT_EJSON_INVALID: 'e.json misses a required field or has one of the wrong kind',
  JIT_ELEMENT_NAME_INVALID: 'an element folder name cannot be part of a fullName',
  JIT_APP_DIR_NOT_FOUND: 'the app folder does not exist, or is not a folder',
  JIT_APP_JSON_INVALID: 'app.json is missing, malformed or incomplete',
  JIT_APP_EXTENDS_NOT_FOUND: 'an app named in "extends" was not found',
  // Type resolution
  JIT_TYPE_UNKNOWN: 'the element names a type that no visible element has',
  JIT_TYPE_CYCLE: 'type chains loop back on themselves',
  JIT_INSTANCE_OF_META: 'an Instance names a Meta as its type; Instances take a Type',
  JIT_TYPE_CHAIN_BROKEN: 'a type chain does not end at a Meta',
  JIT_OVERRIDE_PROTECTED: 'the element overrides a protected element of an app it extends',
  JIT_TYPE_ENTRY_INVALID: "a Type's type.ts does not export a Type definition",
  JIT_CODE_LOAD_FAILED: "an element's code failed to import or to run",
  // getElement
  JIT_ELEMENT_NOT_FOUND: 'no visible element has this fullName',
  JIT_ELEMENT_NEEDS_INSTANCE: "the element is a Type's child and is reached through an Instance",
  JIT_ELEMENT_BROKEN: 'the element failed to load; the cause says why',
  JIT_ELEMENT_NOT_IN_USE:
    'a framework Instance (databases.Default) is loaded only where a Type in use names it; declare it to use it directly',
  // Business config
  JIT_CONFIG_MALFORMED: 'the business config file is not valid JSON',
  JIT_CONFIG_INVALID: "the business config does not match the Type's schema",
  JIT_CONFIG_ENV_MISSING: 'a ${NAME} placeholder names an environment variable that is not set',
  // Services
  JIT_SERVICE_INVALID: "a service's index.ts does not export its functions",
  JIT_FUNCTION_NOT_FOUND: 'the element has no such function',
  // Hot reload
  JIT_RELOAD_REFUSED: 'a change was refused; the last good definition stays in service',
  JIT_CONFIG_DELETED: "an Instance's business config file was deleted; its last good config stays in service",
  // Databases and models
  JIT_DB_OPEN_FAILED: 'the database file could not be opened',
  JIT_DB_NOT_FOUND: 'a model names a database element that does not exist',
  JIT_DB_UNREACHABLE:
    'the database server could not be reached, or refused the connection (address, credentials, database name)',
  JIT_MODEL_DATATYPE_UNKNOWN: 'a model field names a datatype jitlite does not know',
  JIT_MODEL_FIELDS_INVALID: "a model's fields are malformed",
  JIT_MODEL_DESTRUCTIVE_CHANGE: 'a model change would drop or retype a column; the table was left as it is',
  JIT_MODEL_UNKNOWN_FIELD: 'a filter, order or value names a field the model does not have',
  JIT_MODEL_VALUE_INVALID: "a value does not fit its field's datatype",
  JIT_MODEL_QUERY_INVALID: 'a filter, order or paging option is malformed',
  JIT_MODEL_UPSERT_KEY_INVALID: "an upsert's conflict fields are not one of the model's unique keys",
  JIT_MODEL_CONSTRAINT_VIOLATION: 'a write would repeat a unique key or leave a required column empty',
  JIT_MODEL_SYNC_FAILED: 'the table could not be brought in line with the model; the cause says why',
  JIT_DB_QUERY_FAILED: 'the database failed a query for a reason other than bad input; the cause says why',
  JIT_DB_UNAVAILABLE:
    'the database cannot be written or read (disk full, read-only or damaged file, I/O error, a lock held too long, the database server down); requests that need it answer 503 until it recovers',
  // HTTP
  JIT_HTTP_BAD_REQUEST: 'the request is malformed',
  JIT_HTTP_LOGIN_REQUIRED: 'the function needs a logged-in user',
  JIT_PORT_IN_USE: 'another process listens on the address to serve on',
  JIT_RATE_LIMITED:
    'too many requests from one address (or from all together) in the last minute; wait for Retry-After, or raise the RATE_LIMIT_* setting',
  JIT_LIVE_STATES_CAPPED:
    'too many unfinished sign-ins from one browser or address; finish or wait them out, or raise LIVE_STATES_PER_BROWSER / LIVE_STATES_PER_ADDRESS',
  JIT_LIVE_TICKETS_CAPPED:
    'too many desktop sign-in codes shown from one address and not yet used; wait for them to expire, or raise LIVE_TICKETS_PER_ADDRESS',
  JIT_OVERLOADED:
    'the server is overloaded (event-loop lag or heap past its limit) and refuses new work for a moment; retry after Retry-After',
  JIT_ENV_INVALID:
    'an environment variable has a value jitlite cannot use; the message names it and the values it takes',
  JIT_HTTP_CROSS_SITE:
    "a form or call that changes state came from another site's page (its Origin is not the app's)",
  // Desktop sign-in by scanning (the login family's tickets)
  JIT_DESKTOP_TICKET_MISSING:
    'the request carries no desktop sign-in cookie: start a new desktop sign-in in this browser, with cookies allowed',
  JIT_DESKTOP_TICKET_EXPIRED: 'the desktop sign-in code expired before it was used: show a new code',
  JIT_DESKTOP_TICKET_NOT_CONFIRMED: 'the desktop sign-in has not been confirmed on the phone yet',
  JIT_DESKTOP_TICKET_REFUSED:
    'the desktop sign-in cannot be finished: it was used, cancelled, or started in another browser',
  // Browser code and pages (runtime/http/frontend.ts, runtime/frontend/)
  JIT_FRONTEND_BUILD_FAILED:
    'a browser entry (frontBundleEntry) failed to compile; the message names file and line',
  JIT_FRONTEND_SECRET_IN_BUNDLE:
    'a compiled browser bundle holds the value of a secret config field; it is not served',
  JIT_FRONTEND_ENTRY_INVALID: 'a browser entry is missing or does not default-export a function',
  JIT_FRONTEND_REQUEST_FAILED:
    'the browser runtime could not reach the server, or the answer was not its JSON',
  JIT_PAGE_HTML_MISSING: 'a page element has no index.html',
  JIT_PAGE_PATH_CONFLICT: 'two page elements answer at the same path; the first by fullName is served',
  // Development console (runtime/console/) and `jit new`
  JIT_CONSOLE_CSRF:
    "a console write came without the page's CSRF token (X-Jit-Csrf); reload the console page",
  JIT_CONSOLE_ORIGIN:
    "a console request came from another origin or host than the dev server's own; open the console at the URL jit dev prints",
  JIT_CONSOLE_NAME_INVALID:
    'an element name is not a valid folder name (letters, digits and _, not starting with a digit)',
  JIT_CONSOLE_NAME_TAKEN: 'an element of that name already exists',
  JIT_CONSOLE_NOT_FOUND: 'the console has no such element, Type, trash entry or saved state',
  JIT_CONSOLE_NOT_EDITABLE: 'the element cannot be changed from this app (inherited, or not an Instance)',
  JIT_CONSOLE_FILE_CHANGED: 'the files changed on disk since the form loaded them; reload, then save again',
  JIT_CONSOLE_BAD_REQUEST: 'a console request is malformed',
  JIT_CONSOLE_UI_MISSING: "the console page's files are missing from the jitlite installation",
  // Type-provided checks ("Test connection")
  JIT_CHECK_REFUSED:
    'the provider refused the credentials or the caller; the message says which setting to fix',
  JIT_CHECK_UNREACHABLE: 'the provider could not be reached or answered something unusable',
  JIT_CHECK_UNSUPPORTED: 'the Type declares no check',
  // Field encryption (runtime/crypto.ts)
  JIT_SECRET_KEY_MISSING: 'JIT_SECRET_KEY is not set, and a local key file is not allowed (production)',
  JIT_SECRET_KEY_INVALID:
    'JIT_SECRET_KEY or the key file is malformed (base64 of 32 bytes, or kid:base64,...)',
  JIT_SECRET_KEY_FILE_INSECURE: 'the local key file is readable by other users',
  JIT_SECRET_KEY_UNKNOWN: 'a stored value was encrypted with a key id that the keyring does not hold',
  JIT_DECRYPT_FAILED: 'a stored value could not be decrypted (malformed, altered, or moved to another row)',
} as const

export type ErrorCode = keyof typeof ErrorCodes

export interface ErrorLocation {
  /** The file the problem is in, as the user would open it. */
  file?: string
  /** The field inside the file, as a dotted path (`appSecret`, `functionList.0.name`). */
  field?: string
  /** The element concerned. */
  element?: string
  line?: number
  column?: number
}

/** The error `jit dev` and `jit start` stop with when their address is taken. */
export function portInUse(host: string, port: number, cause: unknown, setting = 'PORT'): JitError {
  return new JitError(
    'JIT_PORT_IN_USE',
    `${host}:${port} is in use: stop what uses it, or set ${setting}`,
    {},
    { cause },
  )
}

/**
 * A file as `jit check` prints it: relative to the working directory when it is under it, else as
 * given.
 */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file)
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative
}

/**
 * An error a user can meet. Its `message` is the line `jit check` prints, place first
 * (`app/auths/loginTypes/Bad/Bad.json: scope: Invalid option: ... (JIT_CONFIG_INVALID)`), so that an
 * uncaught one points at what to fix; `reason` is the same without place and code.
 */
export class JitError extends Error {
  readonly code: ErrorCode
  /** What is wrong and how to fix it, without file, field or code. */
  readonly reason: string
  readonly file?: string
  readonly field?: string
  readonly element?: string
  readonly line?: number
  readonly column?: number

  constructor(code: ErrorCode, reason: string, where: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(reason, options)
    this.name = 'JitError'
    this.code = code
    this.reason = reason
    this.file = where.file
    this.field = where.field
    this.element = where.element
    this.line = where.line
    this.column = where.column
    this.message = this.format()
  }

  /** `file:line:column: field: reason`; files shown by `relativeTo` (default: as `jit check` does). */
  located(relativeTo: (file: string) => string = displayPath): string {
    const parts: string[] = []
    if (this.file) {
      const file = relativeTo(this.file)
      parts.push(this.line ? `${file}:${this.line}:${this.column ?? 1}` : file)
    }
    if (this.field) parts.push(this.field)
    parts.push(this.reason)
    return parts.join(': ')
  }

  /** `file:line:column: field: reason (CODE)`, the line `jit check` prints. */
  format(relativeTo?: (file: string) => string): string {
    return `${this.located(relativeTo)} (${this.code})`
  }

  toJSON() {
    return {
      code: this.code,
      message: this.message,
      reason: this.reason,
      file: this.file,
      field: this.field,
      element: this.element,
      line: this.line,
      column: this.column,
    }
  }
}

export class ElementNotFoundError extends JitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super('JIT_ELEMENT_NOT_FOUND', message, where)
    this.name = 'ElementNotFoundError'
  }
}

const REDACTED = '[redacted]'

/** Replaces every occurrence of each secret value in `text`. Values shorter than 4 characters are left
 * alone: they cannot be told apart from ordinary words, and a secret that short is refused anyway. */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < 4) continue
    out = out.split(secret).join(REDACTED)
  }
  return out
}
