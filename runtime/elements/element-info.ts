import type { ElementInfo } from '../define.ts'
import type { RegisteredElement } from './resolve.ts'

/** What a Type's code and the HTTP layer are told about an element. */
export function elementInfo(element: RegisteredElement): ElementInfo {
  return {
    fullName: element.fullName,
    title: element.define.title,
    layer: element.layer,
    type: element.define.type,
    app: element.app.id,
    dir: element.dir,
    define: element.define,
    scopedTo: element.scopedTo,
  }
}
