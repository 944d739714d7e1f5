import { AsyncLocalStorage } from 'node:async_hooks'
import type { FunctionDecl } from '../elements/define-schema.ts'
import { JitError } from '../errors.ts'
import { ownValue } from '../own.ts'
import type { Session } from './sessions.ts'

const requestScope = new AsyncLocalStorage<{ session: Session | null }>()

/**
 * The session of the HTTP request a service function is serving, or null (no login, or the function
 * was called from a script).
 *
 * @example
 * export default class OrdersSvc extends Service {
 *   myOrders() {
 *     const session = currentSession()
 *     ...
 *   }
 * }
 */
export function currentSession(): Session | null {
  return requestScope.getStore()?.session ?? null
}

export function runWithSession<T>(session: Session | null, fn: () => T): T {
  return requestScope.run({ session }, fn)
}

/** JitAi datatypes of function arguments, as JSON carries them. */
const ARG_CHECKS: Record<string, (value: unknown) => boolean> = {
  Stext: (v) => typeof v === 'string',
  Ltext: (v) => typeof v === 'string',
  Numeric: (v) => typeof v === 'number' && Number.isFinite(v),
  Integer: (v) => Number.isInteger(v),
  AutoInt: (v) => Number.isInteger(v),
  Boolean: (v) => typeof v === 'boolean',
  Datetime: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  JSON: () => true,
}

/**
 * Turns a JSON body into the positional arguments of a declared function. The body is either an
 * array (positional) or an object keyed by the declared argument names.
 */
export function argumentsFor(decl: FunctionDecl, body: unknown): unknown[] {
  const declared = decl.args ?? []
  const bad = (message: string) => new JitError('JIT_HTTP_BAD_REQUEST', message)
  let values: unknown[]
  if (body === undefined || body === null || body === '') values = []
  else if (Array.isArray(body)) values = body
  else if (typeof body === 'object') {
    const given = body as Record<string, unknown>
    const unknown = Object.keys(given).filter((key) => !declared.some((arg) => arg.name === key))
    if (unknown.length > 0)
      throw bad(`${decl.name} takes no argument named ${unknown.map((k) => `"${k}"`).join(', ')}`)
    values = declared.map((arg) => ownValue(given, arg.name))
  } else throw bad('the body must be a JSON array of arguments or an object keyed by argument name')
  if (values.length > declared.length)
    throw bad(`${decl.name} takes ${declared.length} argument(s), got ${values.length}`)
  declared.forEach((arg, i) => {
    const value = values[i]
    if (value === undefined || value === null) {
      if (arg.required) throw bad(`argument "${arg.name}" of ${decl.name} is required`)
      return
    }
    const check = arg.dataType ? ownValue(ARG_CHECKS, arg.dataType) : undefined
    if (check && !check(value)) throw bad(`argument "${arg.name}" of ${decl.name} must be ${arg.dataType}`)
  })
  return values
}
