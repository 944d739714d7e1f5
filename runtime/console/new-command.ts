import path from 'node:path'
import { createApp } from '../app.ts'
import { kState } from '../app-state.ts'
import { displayPath, JitError } from '../errors.ts'
import { silentLogger } from '../log.ts'
import type { JsonSchema } from './config-schema.ts'
import { loadAppEnvFile } from './env-file.ts'
import { ConfigRejected, createInstance } from './instances.ts'
import { setAt } from './secret-fields.ts'
import { typeListing } from './type-info.ts'
import type { ConsoleWorkspace } from './workspace.ts'

export const NEW_USAGE = `Usage: jit new <Type> <Name> [appDir] [--set key=value ...] [--title "Title"]

  Creates an Instance of <Type> (its fullName, or its last segment when only one Type has it) named
  <Name>, in the Type's family folder: e.json and <Name>.json, validated by the Type's config schema
  first. A secret field takes a reference to an environment variable: --set 'appSecret=\${WECHAT_APP_SECRET}'.
  Example: jit new WechatPublicType MyWechatLogin app --set appId=wx0123456789abcdef --set 'appSecret=\${WECHAT_APP_SECRET}'`

interface NewArgs {
  type: string
  name: string
  appDir: string
  title?: string
  sets: Array<[string, string]>
}

function parseArgs(args: string[]): NewArgs | string {
  const positional: string[] = []
  const sets: Array<[string, string]> = []
  let title: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--set' || arg === '--title') {
      const value = args[++i]
      if (value === undefined) return `${arg} needs a value`
      if (arg === '--title') title = value
      else {
        const at = value.indexOf('=')
        if (at <= 0) return `--set takes key=value (a dotted key for a nested field), not "${value}"`
        sets.push([value.slice(0, at), value.slice(at + 1)])
      }
    } else if (arg.startsWith('--')) return `unknown option ${arg}`
    else positional.push(arg)
  }
  const [type, name, appDir = 'app', ...rest] = positional
  if (!type || !name || rest.length > 0) return 'name a Type and the new Instance'
  return { type, name, appDir, title, sets }
}

/**
 * `jit new <Type> <Name>`: the console's create, from a terminal, through the same validation and
 * writer. `jit check` stays the one validator of the result.
 */
export async function newCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args)
  if (typeof parsed === 'string') {
    console.error(`jit new: ${parsed}\n\n${NEW_USAGE}`)
    return 1
  }
  loadAppEnvFile(parsed.appDir)
  const app = await createApp({ appDir: parsed.appDir, logger: silentLogger, dryRun: true })
  try {
    const workspace: ConsoleWorkspace = { app, appDir: app.appDir, env: process.env }
    const type = resolveTypeName(workspace, parsed.type)
    const { schema } = await typeListing(workspace, type)
    const config: Record<string, unknown> = {}
    for (const [key, raw] of parsed.sets) setPath(config, key.split('.'), typedValue(schema, key, raw))
    const created = await createInstance(workspace, { type, name: parsed.name, title: parsed.title, config })
    const dir = path.join(app.appDir, ...created.fullName.split('.'))
    for (const file of Object.keys(created.files)) console.log(`created ${displayPath(path.join(dir, file))}`)
    console.log(`${created.fullName} is an Instance of ${type}; jit check ${parsed.appDir} validates the app`)
    return 0
  } catch (err) {
    if (err instanceof ConfigRejected) {
      for (const [field, message] of Object.entries(err.fieldErrors)) {
        console.error(`jit new: ${field ? `${field}: ` : ''}${message} (JIT_CONFIG_INVALID)`)
      }
      console.error('jit new: nothing was written')
      return 1
    }
    throw err
  } finally {
    await app.close()
  }
}

/** A Type by fullName, or by its last segment when exactly one Type has it. */
function resolveTypeName(workspace: ConsoleWorkspace, given: string): string {
  const definition = workspace.app[kState].definition
  if (definition.record(given)) return given
  const matches: string[] = []
  for (const { element } of definition.records()) {
    if (element.layer === 'Type' && !element.scopedTo && element.fullName.split('.').pop() === given) {
      matches.push(element.fullName)
    }
  }
  if (matches.length === 1) return matches[0]
  const hint =
    matches.length > 1 ? `: several Types are called so (${matches.join(', ')}), give the fullName` : ''
  throw new JitError('JIT_CONSOLE_NOT_FOUND', `no Type named "${given}"${hint}; jit elements lists them`)
}

/** A --set value: as written for a text field, else read as JSON (numbers, true/false, lists). */
function typedValue(schema: JsonSchema, key: string, raw: string): unknown {
  let node: JsonSchema | undefined = schema
  for (const segment of key.split('.')) {
    const properties = node?.properties as Record<string, JsonSchema> | undefined
    node = properties && Object.hasOwn(properties, segment) ? properties[segment] : undefined
  }
  if (node?.type === 'string' || node?.['x-jit-secret'] === true) return raw
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

function setPath(root: Record<string, unknown>, at: string[], value: unknown): void {
  let node = root
  for (const key of at.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  setAt(node, at.slice(-1), value)
}
