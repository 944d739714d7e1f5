import fs from 'node:fs'
import path from 'node:path'
import { secretPaths } from '../config/secrets.ts'
import { JitError } from '../errors.ts'
import { unifiedDiff } from './diff.ts'
import { type InstanceFiles, notFound, readInstanceFiles } from './element-files.ts'
import { isRealEnvVariable, storeEnvValues } from './env-file.ts'
import { hashFiles, jsonText, readTextIfAny, writeFileAtomic } from './files.ts'
import { checkElementName } from './names.ts'
import { maskText, type SecretState, showSecrets } from './secret-fields.ts'
import { familyOf } from './type-definitions.ts'
import { clearUndo, readUndo, saveUndo } from './undo.ts'
import { type CheckedDraft, validateDraft } from './validate-config.ts'
import {
  applyWrite,
  type ConsoleWorkspace,
  configOf,
  currentDefinition,
  folderOf,
  overridesFor,
  requireEditable,
  requireRecord,
  requireType,
} from './workspace.ts'

/** The 422 answer: field errors keyed by dotted path, nothing written. */
export class ConfigRejected extends JitError {
  readonly fieldErrors: Record<string, string>
  constructor(fieldErrors: Record<string, string>) {
    super(
      'JIT_CONFIG_INVALID',
      "the config does not match the Type's schema: see the fields; nothing was written",
    )
    this.fieldErrors = fieldErrors
  }
}

export interface CreateRequest {
  type: unknown
  name: unknown
  title?: unknown
  config?: unknown
  secretValues?: unknown
}

/**
 * Creates an Instance of a Type in the top app: `<family>/<name>/e.json` and `<name>.json`, validated
 * first (nothing is written when anything is wrong), written atomically, config before e.json so that
 * the folder becomes an element only once it is whole.
 */
export async function createInstance(
  workspace: ConsoleWorkspace,
  request: CreateRequest,
): Promise<{ fullName: string; files: Record<string, string> }> {
  const definition = currentDefinition(workspace)
  const typeRecord = requireType(definition, request.type)
  const name = checkElementName(request.name)
  const family = familyOf(typeRecord)
  const fullName = family ? `${family}.${name}` : name
  const dir = folderOf(workspace.appDir, fullName)
  const existing = definition.record(fullName)
  if (existing || fs.existsSync(dir)) {
    const where =
      existing && existing.element.appIndex !== definition.roots.length - 1
        ? ` (from ${existing.element.app.id}: use Override instead)`
        : ''
    throw new JitError('JIT_CONSOLE_NAME_TAKEN', `${fullName} already exists${where}: choose another name`)
  }
  const title = optionalTitle(request.title) ?? name
  const { type, schema, jsonSchema } = await configOf(definition, typeRecord)
  const checked = validateDraft({
    fullName,
    dir,
    schema,
    jsonSchema,
    config: request.config ?? {},
    secretValues: request.secretValues,
    env: workspace.env,
    isRealVariable: (name) => isRealEnvVariable(workspace.env, name),
    overrides: overridesFor(workspace, fullName, [fullName, ...typeRecord.element.chain!], type),
  })
  if (!checked.ok) throw new ConfigRejected(checked.fieldErrors)
  const files = {
    'e.json': jsonText({ title, type: typeRecord.element.fullName }),
    [`${name}.json`]: jsonText(checked.written),
  }
  storeEnvValues(workspace.appDir, checked.secretValues, workspace.env)
  fs.mkdirSync(dir, { recursive: true })
  writeFileAtomic(path.join(dir, `${name}.json`), files[`${name}.json`])
  writeFileAtomic(path.join(dir, 'e.json'), files['e.json'])
  await applyWrite(workspace, [dir])
  return { fullName, files }
}

export interface InstanceDetail {
  fullName: string
  type: string
  files: Record<string, string>
  hash: string
  config: Record<string, unknown>
  secrets: Record<string, SecretState>
}

/**
 * An element's e.json and config as the console shows them (any visible element; only own Instances
 * can be saved): no secret value anywhere.
 */
export async function instanceDetail(
  workspace: ConsoleWorkspace,
  fullName: unknown,
): Promise<InstanceDetail> {
  const definition = currentDefinition(workspace)
  const record = requireRecord(definition, fullName)
  const { schema } = await configOf(definition, record)
  const files = readInstanceFiles(record, schema)
  const shown = showSecrets(files.config ?? {}, secretPaths(schema), workspace.env)
  const texts: Record<string, string> = {}
  for (const [name, text] of Object.entries(files.texts))
    if (text !== undefined) texts[name] = maskText(text, files.literals)
  return {
    fullName: record.element.fullName,
    type: record.element.define.type,
    files: texts,
    hash: hashFiles(files.texts),
    config: shown.config,
    secrets: shown.secrets,
  }
}

export interface EditRequest {
  config?: unknown
  title?: unknown
  baseHash?: unknown
  secretValues?: unknown
}

interface PlannedEdit {
  fullName: string
  files: InstanceFiles
  /** The new text of each file that changes. */
  next: Record<string, string>
  checked: CheckedDraft & { ok: true }
}

/** Validates an edit of an own Instance and works out the files it writes; writes nothing. */
async function planEdit(
  workspace: ConsoleWorkspace,
  fullName: unknown,
  request: EditRequest,
): Promise<PlannedEdit> {
  const definition = currentDefinition(workspace)
  const record = requireEditable(definition, fullName)
  const { type, schema, jsonSchema } = await configOf(definition, record)
  const files = readInstanceFiles(record, schema)
  const checked = validateDraft({
    fullName: record.element.fullName,
    dir: files.dir,
    schema,
    jsonSchema,
    config: request.config ?? files.config ?? {},
    current: files.config,
    secretValues: request.secretValues,
    env: workspace.env,
    isRealVariable: (name) => isRealEnvVariable(workspace.env, name),
    overrides: overridesFor(workspace, record.element.fullName, record.element.chain ?? [], type),
  })
  if (!checked.ok) throw new ConfigRejected(checked.fieldErrors)
  const next: Record<string, string> = {}
  const configText = jsonText(checked.written)
  if (configText !== files.texts[files.configName]) next[files.configName] = configText
  const title = optionalTitle(request.title)
  if (title !== undefined && title !== files.define?.title) {
    const define = files.define ?? { type: record.element.define.type }
    next['e.json'] = jsonText({ ...define, title })
  }
  return { fullName: record.element.fullName, files, next, checked }
}

/** The unified diff of what saving the form would change, secrets masked. */
export async function diffInstance(workspace: ConsoleWorkspace, fullName: unknown, request: EditRequest) {
  const { files, next } = await planEdit(workspace, fullName, request)
  const mask = (text: string) => maskText(text, files.literals)
  return {
    files: Object.entries(next).map(([name, after]) => {
      const before = files.texts[name] ?? ''
      return { name, before: mask(before), after: mask(after), diff: mask(unifiedDiff(name, before, after)) }
    }),
  }
}

/**
 * Saves an edit unless the files changed on disk since the form read them (`baseHash`), keeping what
 * they held for one undo.
 */
export async function updateInstance(
  workspace: ConsoleWorkspace,
  fullName: unknown,
  request: EditRequest,
): Promise<{ hash: string }> {
  const { files, next, checked, fullName: name } = await planEdit(workspace, fullName, request)
  if (typeof request.baseHash !== 'string' || request.baseHash !== hashFiles(files.texts)) {
    throw new JitError(
      'JIT_CONSOLE_FILE_CHANGED',
      'the files changed on disk since the form loaded them: reload the form to see them, then save again',
    )
  }
  storeEnvValues(workspace.appDir, checked.secretValues, workspace.env)
  if (Object.keys(next).length > 0) {
    saveUndo(workspace.appDir, name, files.texts)
    writeFiles(files.dir, next)
  }
  await applyWrite(
    workspace,
    Object.keys(next).map((name) => path.join(files.dir, name)),
  )
  return { hash: hashFiles({ ...files.texts, ...next }) }
}

/** Puts back the files as they were before the last save of this Instance. */
export async function undoInstance(
  workspace: ConsoleWorkspace,
  fullName: unknown,
): Promise<{ hash: string }> {
  const definition = currentDefinition(workspace)
  const record = requireEditable(definition, fullName)
  const saved = readUndo(workspace.appDir, record.element.fullName)
  if (!saved) throw notFound(`there is no save of ${record.element.fullName} to undo`)
  const restore: Record<string, string | undefined> = saved.files
  for (const [name, text] of Object.entries(restore)) {
    const file = path.join(record.element.dir, name)
    if (text === undefined) fs.rmSync(file, { force: true })
    else writeFileAtomic(file, text)
  }
  clearUndo(workspace.appDir, record.element.fullName)
  await applyWrite(
    workspace,
    Object.keys(restore).map((name) => path.join(record.element.dir, name)),
  )
  const texts: Record<string, string | undefined> = {}
  for (const name of Object.keys(restore)) texts[name] = readTextIfAny(path.join(record.element.dir, name))
  return { hash: hashFiles(texts) }
}

function writeFiles(dir: string, next: Record<string, string>): void {
  // The config first: an e.json change (the title) is the smaller one to see alone.
  const names = Object.keys(next).sort((a, b) => (a === 'e.json' ? 1 : b === 'e.json' ? -1 : 0))
  for (const name of names) writeFileAtomic(path.join(dir, name), next[name])
}

function optionalTitle(title: unknown): string | undefined {
  if (title === undefined || title === null || title === '') return undefined
  if (typeof title !== 'string' || title.length > 200) {
    throw new JitError('JIT_CONSOLE_BAD_REQUEST', 'title must be a short text (up to 200 characters)')
  }
  return title
}
