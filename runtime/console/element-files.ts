import path from 'node:path'
import { businessConfigFileName } from '../config/load.ts'
import { secretPaths } from '../config/secrets.ts'
import type { ElementRecord } from '../elements/element-state.ts'
import { JitError } from '../errors.ts'
import { readTextIfAny } from './files.ts'
import { literalSecrets } from './secret-fields.ts'

/** The files of an Instance the console writes, as they are on disk now. */
export interface InstanceFiles {
  dir: string
  /** `<Folder>.json`, else `config.json` when that is what the folder has. */
  configName: string
  /** Text by file name; undefined for a file that does not exist. */
  texts: Record<string, string | undefined>
  /** The config file parsed (undefined when absent or not JSON). */
  config?: Record<string, unknown>
  /** e.json parsed. */
  define?: Record<string, unknown>
  /** Literal secret values the config file holds, to mask in anything shown. */
  literals: string[]
}

/** Reads the e.json and business config of an Instance from disk (not from the running definition). */
export function readInstanceFiles(
  record: ElementRecord,
  schema: Parameters<typeof secretPaths>[0],
): InstanceFiles {
  const dir = record.element.dir
  const configName = businessConfigFileName(dir, record.element.files) ?? `${path.basename(dir)}.json`
  const texts: Record<string, string | undefined> = {
    'e.json': readTextIfAny(path.join(dir, 'e.json')),
    [configName]: readTextIfAny(path.join(dir, configName)),
  }
  const config = parseObject(texts[configName])
  return {
    dir,
    configName,
    texts,
    config,
    define: parseObject(texts['e.json']),
    // The running definition's secret values too: a file that no longer parses may still hold one.
    literals: [
      ...(config ? literalSecrets(config, secretPaths(schema)) : []),
      ...(record.config?.secretValues ?? []),
    ],
  }
}

export function parseObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

export function notFound(reason: string): JitError {
  return new JitError('JIT_CONSOLE_NOT_FOUND', reason)
}
