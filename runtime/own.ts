/**
 * Lookups by a name that comes from outside the code (a URL, a request body, a config file, the
 * command line). A plain object answers "constructor", "toString", "__proto__" or "hasOwnProperty"
 * with what every object inherits, so such lookups read own properties only.
 */

/** The value `record` holds under `name` itself; undefined for a name it only inherits. */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, name) ? record[name] : undefined
}

/** Whether `object[name]` is only what every object inherits from `Object.prototype`. */
export function inheritedFromObject(object: unknown, name: string): boolean {
  if (!Object.hasOwn(Object.prototype, name)) return false
  if (object === null || object === undefined) return true
  return Reflect.get(Object(object), name) === Reflect.get(Object.prototype, name)
}
