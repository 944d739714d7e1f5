import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** A tree of files: paths relative to the root; objects are written as pretty JSON. */
export type FileTree = Record<string, string | object>

/** Writes `tree` under a fresh temp folder and returns its path. */
export function writeTempTree(tree: FileTree, prefix = 'jitlite-'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  writeTree(root, tree)
  return root
}

export function writeTree(root: string, tree: FileTree): void {
  for (const [relative, content] of Object.entries(tree)) {
    const file = path.join(root, relative)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`)
  }
}

/** An app.json for a test app. */
export function appJson(name = 'testapp', extra: object = {}): object {
  return { orgId: 'tests', name, title: `Test app ${name}`, version: '1.0.0', ...extra }
}
