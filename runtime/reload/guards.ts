import path from 'node:path'
import { businessConfigFileName } from '../config/load.ts'
import type { Generation } from '../elements/generation.ts'
import { JitError } from '../errors.ts'

/**
 * Problems a rebuilt registry has only in comparison with the running one, which the rebuild alone
 * cannot see. Today one: an Instance whose business config file is gone while its folder stays.
 * Its Type's defaults might validate, but a deleted file is far more often a step of an editor's save
 * or a slip than a wish for defaults, so the last good config stays (a deleted config never replaces
 * the last good one: docs/security.md#config-and-hot-reload).
 */
export function problemsAgainst(running: Generation, next: Generation): JitError[] {
  const problems: JitError[] = []
  for (const [fullName, element] of next.registry.elements) {
    if (element.layer !== 'Instance') continue
    const before = running.registry.elements.get(fullName)
    if (before?.layer !== 'Instance' || before.dir !== element.dir) continue
    // An element that is already broken has no good config to keep.
    if (running.problemOf(fullName)) continue
    const hadFile = businessConfigFileName(before.dir, before.files)
    if (!hadFile || businessConfigFileName(element.dir, element.files)) continue
    problems.push(
      new JitError(
        'JIT_CONFIG_DELETED',
        `the business config file of ${fullName} was deleted: write it again (or write {} to use the Type's defaults), or delete the whole folder to remove the element`,
        { file: path.join(before.dir, hadFile), element: fullName },
      ),
    )
  }
  return problems
}
