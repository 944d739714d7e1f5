/**
 * The readable form of the runtime's log lines (`jit dev`): pino writes its JSON line here, and one
 * line a person reads comes out: `[jit] 12:00:01 warning: login ...: refused (no state)  event=login`.
 * Info goes to stdout, warnings and errors to stderr, as the `[jit]` lines always have.
 */
const LABELS: Record<string, string> = { warn: 'warning: ', error: 'error: ', fatal: 'error: ' }
/** Fields every line has, or that the message already says. */
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'msg', 'pid', 'hostname'])

export function prettyDestination(
  stdout: { write(text: string): unknown } = process.stdout,
  stderr: { write(text: string): unknown } = process.stderr,
): { write(line: string): void } {
  return {
    write(line) {
      const record = JSON.parse(line) as Record<string, unknown>
      const level = String(record.level)
      const out = level === 'info' || level === 'debug' || level === 'trace' ? stdout : stderr
      out.write(`${formatPretty(record)}\n`)
    },
  }
}

/** `[jit] HH:MM:SS [warning: ]message  key=value ...` */
export function formatPretty(record: Record<string, unknown>): string {
  const time = typeof record.time === 'string' ? record.time.slice(11, 19) : ''
  const label = LABELS[String(record.level)] ?? ''
  const fields: string[] = []
  for (const [key, value] of Object.entries(record)) {
    if (SHOWN_ELSEWHERE.has(key) || value === undefined) continue
    fields.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
  }
  const tail = fields.length > 0 ? `  ${fields.join(' ')}` : ''
  return `[jit] ${time} ${label}${String(record.msg ?? '')}${tail}`
}
