import pino from 'pino'
import { JitError } from './errors.ts'
import { prettyDestination } from './log-pretty.ts'
import { REDACTED, REDACTED_KEYS, scrubFields, scrubText } from './log-redact.ts'

/**
 * Structured fields of a log line. `event` and `outcome` make a line greppable
 * (`"event":"login","outcome":"cancelled"`); `reqId` and `element` say which request and element.
 */
export interface LogFields {
  event?: string
  outcome?: string
  element?: string
  reqId?: string
  durationMs?: number
  [field: string]: unknown
}

/**
 * The runtime's log sink, as element code sees it (`ctx.log.info('...')`). Lines never carry secrets,
 * codes, states, tickets, tokens, session ids or query strings: the runtime's loggers redact known keys
 * and strip query strings from every message and field.
 *
 * @example
 * ctx.log.info(`login ${fullName}: signed in`, { event: 'login', outcome: 'success' })
 */
export interface Logger {
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A logger whose lines also carry `fields` (a request's id, an element). */
  child?(fields: LogFields): Logger
}

/** A logger with pino behind it, which fastify logs through too. */
export interface StructuredLogger extends Logger {
  readonly pino: pino.Logger
  child(fields: LogFields): StructuredLogger
}

export type LogFormat = 'json' | 'pretty'
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']

export interface LoggerOptions {
  /** `json`: one JSON object a line (`jit start`); `pretty`: `[jit] 12:00:01 warning: ...` (`jit dev`). */
  format: LogFormat
  /** Default `info`. */
  level?: LogLevel
  /** Where lines go. Default: stdout (pretty: warnings and errors to stderr). */
  destination?: { write(line: string): unknown }
}

/**
 * The runtime's logger: pino, with the redaction list and query-string scrub.
 *
 * @example
 * const log = createLogger({ format: 'json', level: logLevelOf(process.env) })
 * const server = await buildServer(app, { log })
 */
export function createLogger(options: LoggerOptions): StructuredLogger {
  const destination =
    options.destination ??
    (options.format === 'pretty' ? prettyDestination() : pino.destination({ dest: 1, sync: true }))
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_KEYS, censor: REDACTED },
      // fastify's own lines (a client error, a server error) carry a request: its URL without the query.
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({
          method: req.method,
          url: req.url === undefined ? undefined : scrubText(req.url.split('?')[0]),
          reqId: req.id,
        }),
        err: pino.stdSerializers.err,
      },
      hooks: {
        // Every line's message, whoever logs it (fastify included), loses its query strings.
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) {
            if (typeof args[i] === 'string') args[i] = scrubText(args[i] as string)
          }
          method.apply(this, args as Parameters<typeof method>)
        },
      },
    },
    destination as pino.DestinationStream,
  )
  return wrap(logger)
}

function wrap(logger: pino.Logger): StructuredLogger {
  return {
    pino: logger,
    info: (message, fields) => (fields ? logger.info(scrubFields(fields), message) : logger.info(message)),
    warn: (message, fields) => (fields ? logger.warn(scrubFields(fields), message) : logger.warn(message)),
    error: (message, fields) => (fields ? logger.error(scrubFields(fields), message) : logger.error(message)),
    child: (fields) => wrap(logger.child(scrubFields(fields))),
  }
}

/** `log.child(fields)` where the logger has children, else the logger itself. */
export function childOf(log: Logger, fields: LogFields): Logger {
  return log.child ? log.child(fields) : log
}

/** `LOG_FORMAT` (`json` or `pretty`), else the mode's: JSON lines in production, readable lines in development. */
export function logFormatOf(
  env: Readonly<Record<string, string | undefined>>,
  mode: 'development' | 'production',
): LogFormat {
  const value = env.LOG_FORMAT?.trim().toLowerCase()
  if (!value) return mode === 'production' ? 'json' : 'pretty'
  if (value === 'json' || value === 'pretty') return value
  throw new JitError(
    'JIT_ENV_INVALID',
    `LOG_FORMAT=${JSON.stringify(env.LOG_FORMAT)} is not valid: set json or pretty`,
  )
}

/** `LOG_LEVEL` from the environment, `info` when unset; an unknown value is refused with the list. */
export function logLevelOf(env: Readonly<Record<string, string | undefined>>): LogLevel {
  const value = env.LOG_LEVEL?.trim().toLowerCase()
  if (!value) return 'info'
  if ((LEVELS as readonly string[]).includes(value)) return value as LogLevel
  throw new JitError(
    'JIT_ENV_INVALID',
    `LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} is not valid: set one of ${LEVELS.join(', ')}`,
  )
}

/** Readable `[jit]` lines: info to stdout, warnings and errors to stderr. */
export const consoleLogger: StructuredLogger = createLogger({ format: 'pretty' })

export const silentLogger: Logger = { info() {}, warn() {}, error() {} }

/** A parsed line of `memoryLogger`: pino's fields, `level` as a name and `msg` the message. */
export interface LogRecord extends LogFields {
  level: string
  msg: string
  time: string
}

/**
 * Collects lines in memory, for tests that assert what was (or was not) logged: `lines` as
 * `info message`, `records` as the JSON objects `jit start` prints, `output` the raw JSON lines. It is
 * the production logger (pino, redaction, scrub) writing to memory.
 */
export function memoryLogger(options: { level?: LogLevel } = {}): StructuredLogger & {
  lines: string[]
  records: LogRecord[]
  output: string[]
} {
  const output: string[] = []
  const records: LogRecord[] = []
  const lines: string[] = []
  const logger = createLogger({
    format: 'json',
    level: options.level ?? 'info',
    destination: {
      write(line: string) {
        output.push(line)
        const record = JSON.parse(line) as LogRecord
        records.push(record)
        lines.push(`${record.level} ${record.msg}`)
      },
    },
  })
  return Object.assign(logger, { lines, records, output })
}
