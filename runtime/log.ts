/** The runtime's log sink. Lines never carry secrets, codes, states, tokens or session ids. */
export interface Logger {
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

/** Writes `[jit] ...` lines: info to stdout, warnings and errors to stderr. */
export const consoleLogger: Logger = {
  info: (message) => process.stdout.write(`[jit] ${message}\n`),
  warn: (message) => process.stderr.write(`[jit] warning: ${message}\n`),
  error: (message) => process.stderr.write(`[jit] error: ${message}\n`),
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} }

/** Collects lines in memory, for tests that assert what was (or was not) logged. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  }
}
