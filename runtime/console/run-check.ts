import type { CheckResult, TypeDefinition } from '../define.ts'
import { redact } from '../errors.ts'
import { isRealEnvVariable } from './env-file.ts'
import { ConfigRejected } from './instances.ts'
import { familyOf } from './type-definitions.ts'
import { validateDraft } from './validate-config.ts'
import {
  type ConsoleWorkspace,
  configOf,
  currentDefinition,
  folderOf,
  overridesFor,
  requireRecord,
  requireType,
} from './workspace.ts'

/** "Test connection" with the form's config, validated as the app would read it (sandbox hosts included). */
export async function checkTypeConfig(
  workspace: ConsoleWorkspace,
  typeFullName: unknown,
  body: { config?: unknown; secretValues?: unknown },
  signal: AbortSignal,
): Promise<CheckResult> {
  const definition = currentDefinition(workspace)
  const record = requireType(definition, typeFullName)
  const { type, schema, jsonSchema } = await configOf(definition, record)
  if (!type.check) return unsupported(record.element.fullName)
  const family = familyOf(record)
  // The Instance does not exist yet: a name no element has, for messages and overrides only.
  const fullName = `${family ? `${family}.` : ''}ConsoleCheck`
  const checked = validateDraft({
    fullName,
    dir: folderOf(workspace.appDir, fullName),
    schema,
    jsonSchema,
    config: body.config ?? {},
    secretValues: body.secretValues,
    env: workspace.env,
    isRealVariable: (name) => isRealEnvVariable(workspace.env, name),
    overrides: overridesFor(workspace, fullName, [fullName, ...record.element.chain!], type),
  })
  if (!checked.ok) throw new ConfigRejected(checked.fieldErrors)
  const secrets = [...checked.loaded.secretValues, ...Object.values(checked.secretValues)]
  return runCheck(workspace, type, checked.loaded.value, secrets, signal)
}

/** "Test connection" of an Instance with its saved config, as the running app holds it. */
export async function checkElementConfig(
  workspace: ConsoleWorkspace,
  fullName: unknown,
  signal: AbortSignal,
): Promise<CheckResult> {
  const definition = currentDefinition(workspace)
  const record = requireRecord(definition, fullName)
  const { type } = await configOf(definition, record)
  if (record.element.layer !== 'Instance' || !type.check) return unsupported(record.element.fullName)
  const value = record.config?.value
  if (!value) {
    const problem = record.problem
    return {
      ok: false,
      code: 'JIT_CHECK_UNSUPPORTED',
      message: `${record.element.fullName} has a problem to fix first: ${problem ? `${problem.field ? `${problem.field}: ` : ''}${problem.reason}` : 'its config was not read'}`,
    }
  }
  return runCheck(workspace, type, value, record.config?.secretValues ?? [], signal)
}

async function runCheck(
  workspace: ConsoleWorkspace,
  type: TypeDefinition<any, any>,
  config: Readonly<Record<string, unknown>>,
  secrets: readonly string[],
  signal: AbortSignal,
): Promise<CheckResult> {
  let result: CheckResult
  try {
    result = await type.check!(config, { app: currentDefinition(workspace).app, env: workspace.env, signal })
  } catch (err) {
    result = {
      ok: false,
      code: 'JIT_CHECK_UNREACHABLE',
      message: `the check failed: ${(err as Error)?.message ?? String(err)}`,
    }
  }
  // Whatever the Type wrote, no secret value leaves the server.
  return {
    ok: result.ok === true,
    ...(result.code ? { code: result.code } : {}),
    message: redact(String(result.message), secrets),
    ...(result.fix ? { fix: redact(String(result.fix), secrets) } : {}),
  }
}

function unsupported(fullName: string): CheckResult {
  return { ok: false, code: 'JIT_CHECK_UNSUPPORTED', message: `${fullName} declares no connection check` }
}
