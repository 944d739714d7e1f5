/** A positive number from the environment for the ops scripts, or `fallback`; anything else stops the script. */
export function numberFromEnv(name: string, fallback: number): number {
  const value = process.env[name]?.trim()
  if (!value) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`${name}=${JSON.stringify(value)} is not valid: set a positive number`)
    process.exit(2)
  }
  return n
}
