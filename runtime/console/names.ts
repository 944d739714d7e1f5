import { ELEMENT_NAME } from '../elements/define-schema.ts'
import { JitError } from '../errors.ts'

/** Names Windows reserves for devices: an app checked out there could not hold such a folder. */
const WINDOWS_DEVICE = /^(?:CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])$/i

/**
 * Checks a new element's name: it becomes a folder, so it must be one plain segment (no `..`, `/`, `\`
 * or drive letter), and a segment of a fullName (letters, digits and _, not starting with a digit).
 */
export function checkElementName(name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw nameError('name the element: letters, digits and _, not starting with a digit (e.g. MyWechatLogin)')
  }
  if (name.includes('..') || /[/\\]/.test(name) || /^[A-Za-z]:/.test(name)) {
    throw nameError(`"${shown(name)}" is a path, not a name: give one folder name such as MyWechatLogin`)
  }
  if (WINDOWS_DEVICE.test(name)) {
    throw nameError(
      `"${name}" is a device name on Windows, where the folder could not be made: choose another name`,
    )
  }
  if (!ELEMENT_NAME.test(name) || name.length > 64) {
    throw nameError(
      `"${shown(name)}" is not a valid element name: use up to 64 letters, digits and _, not starting with a digit`,
    )
  }
  return name
}

/** Checks a fullName taken from a URL: dot-separated element names. */
export function checkFullName(fullName: unknown): string {
  if (typeof fullName !== 'string' || fullName === '' || fullName.length > 512) {
    throw nameError('name an element by its fullName, e.g. auths.loginTypes.MyWechatLogin')
  }
  for (const segment of fullName.split('.')) checkElementName(segment)
  return fullName
}

function nameError(reason: string): JitError {
  return new JitError('JIT_CONSOLE_NAME_INVALID', reason)
}

/** A name as a message may quote it: short, printable. */
function shown(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?')
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable
}
