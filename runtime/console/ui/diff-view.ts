import { h } from './dom.ts'
import type { DiffFile } from './types.ts'

/** The files a save would write, as unified diffs, lines coloured by what they do. */
export function renderDiff(files: DiffFile[]): HTMLElement {
  const changed = files.filter((file) => file.before !== file.after)
  if (changed.length === 0) {
    return h('p', { class: 'muted diff-empty' }, 'No file changes.')
  }
  return h(
    'div',
    { class: 'diff' },
    ...changed.map((file) =>
      h(
        'section',
        { class: 'diff-file', 'data-file': file.name },
        h(
          'h4',
          { class: 'diff-file-name' },
          file.name,
          file.before === '' ? h('span', { class: 'badge badge-ok' }, 'new') : '',
        ),
        h('pre', { class: 'diff-body' }, ...lines(file.diff)),
      ),
    ),
  )
}

function lines(diff: string): HTMLElement[] {
  return diff
    .split('\n')
    .filter((line, index, all) => !(line === '' && index === all.length - 1))
    .filter(
      (line) =>
        !line.startsWith('---') &&
        !line.startsWith('+++') &&
        !line.startsWith('Index:') &&
        !/^=+$/.test(line),
    )
    .map((line) => {
      const kind = line.startsWith('@@')
        ? 'hunk'
        : line.startsWith('+')
          ? 'add'
          : line.startsWith('-')
            ? 'del'
            : line.startsWith('\\')
              ? 'note'
              : 'same'
      return h('span', { class: `diff-line diff-${kind}` }, line || ' ')
    })
}
