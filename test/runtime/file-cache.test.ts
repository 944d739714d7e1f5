import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CachingFileSystem } from '../../runtime/elements/file-cache.ts'
import { writeTempTree } from '../helpers/temp-app.ts'

/** node:fs, counting the reads that reach the disk. */
function countingFs() {
  const reads: string[] = []
  return {
    reads,
    readdirSync: (dir: string, options: { withFileTypes: true }) => {
      reads.push(`dir ${dir}`)
      return fs.readdirSync(dir, options)
    },
    readFileSync: (file: string, encoding: 'utf8') => {
      reads.push(`file ${file}`)
      return fs.readFileSync(file, encoding)
    },
  }
}

describe('CachingFileSystem', () => {
  it('reads each file and folder once, and again only what a change invalidates', () => {
    const root = writeTempTree({ 'a/one.json': '1', 'a/two.json': '2', 'b/three.json': '3' })
    const disk = countingFs()
    const files = new CachingFileSystem(disk)
    const one = path.join(root, 'a/one.json')
    expect(files.readFileSync(one, 'utf8')).toBe('1')
    files.readFileSync(one, 'utf8')
    files.readdirSync(path.join(root, 'a'), { withFileTypes: true })
    files.readdirSync(path.join(root, 'a'), { withFileTypes: true })
    expect(disk.reads).toHaveLength(2)

    fs.writeFileSync(one, 'changed')
    expect(files.readFileSync(one, 'utf8')).toBe('1')
    files.invalidate([one])
    expect(files.readFileSync(one, 'utf8')).toBe('changed')
    // The folder holding a changed path is listed again (an entry may have come or gone).
    files.readdirSync(path.join(root, 'a'), { withFileTypes: true })
    expect(disk.reads.filter((r) => r.startsWith('dir'))).toHaveLength(2)
  })

  it('forgets everything under a removed folder', () => {
    const root = writeTempTree({ 'a/deep/x.json': 'x' })
    const disk = countingFs()
    const files = new CachingFileSystem(disk)
    const x = path.join(root, 'a/deep/x.json')
    files.readFileSync(x, 'utf8')
    fs.rmSync(path.join(root, 'a'), { recursive: true })
    files.invalidate([path.join(root, 'a')])
    expect(() => files.readFileSync(x, 'utf8')).toThrow(/ENOENT/)
  })
})
