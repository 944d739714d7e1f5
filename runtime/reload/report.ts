import type { ReloadResult } from './result.ts'

/** How many names a line lists before it counts the rest. */
const NAMES_SHOWN = 3

/**
 * The one line `jit dev` prints for an applied reload: what changed and how long it took.
 *
 * @example
 * formatReloadLine({ applied: true, added: [], removed: [], changed: ['greeters.English'], durationMs: 12.4 })
 * // 'reloaded in 12 ms: changed greeters.English'
 */
export function formatReloadLine(result: ReloadResult & { applied: true }): string {
  const parts: string[] = []
  if (result.changed.length > 0) parts.push(`changed ${names(result.changed)}`)
  if (result.added.length > 0) parts.push(`added ${names(result.added)}`)
  if (result.removed.length > 0) parts.push(`removed ${names(result.removed)}`)
  const what = parts.length > 0 ? parts.join('; ') : 'the refused change was undone, nothing else changed'
  return `reloaded in ${Math.round(result.durationMs)} ms: ${what}`
}

/**
 * The line the dev supervisor prints when a code edit restarted the app.
 *
 * @example
 * formatRestartLine(['types/greeters/FriendlyType/type.ts'], 412.6)
 * // 'restarted in 413 ms: types/greeters/FriendlyType/type.ts changed'
 */
export function formatRestartLine(files: readonly string[], durationMs: number): string {
  return `restarted in ${Math.round(durationMs)} ms: ${names(files)} changed`
}

function names(list: readonly string[]): string {
  const shown = list.slice(0, NAMES_SHOWN).join(', ')
  const rest = list.length - NAMES_SHOWN
  return rest > 0 ? `${shown} and ${rest} more` : shown
}
