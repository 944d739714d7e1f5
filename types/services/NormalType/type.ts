import path from 'node:path'
import { defineType, JitError, type LoadContext, Service } from 'jitlite'

type ServiceClass = new (ctx: LoadContext<any>) => Service<any, any>

/**
 * A service element: `index.ts` default-exports a class extending `Service`; its methods are the
 * service's functions, and e.json `functionList` names those HTTP may call.
 */
export default defineType({
  prepare({ element, module }) {
    const entry = path.join(element.dir, element.define.backendBundleEntry ?? 'index.ts')
    const serviceClass = module?.default
    if (!isServiceClass(serviceClass)) {
      throw new JitError(
        'JIT_SERVICE_INVALID',
        'index.ts must `export default class <Name> extends Service { ... }` (import { Service } from "jitlite")',
        { file: entry, element: element.fullName },
      )
    }
    const functions = new Set(functionNames(serviceClass))
    element.define.functionList?.forEach((declared, i) => {
      if (functions.has(declared.name)) return
      throw new JitError(
        'JIT_FUNCTION_NOT_FOUND',
        `functionList names "${declared.name}", which ${serviceClass.name || 'the service class'} does not define`,
        {
          file: path.join(element.dir, 'e.json'),
          field: `functionList.${i}.name`,
          element: element.fullName,
        },
      )
    })
  },
  load(ctx) {
    const ServiceClass = ctx.module?.default as ServiceClass
    return new ServiceClass(ctx)
  },
})

function isServiceClass(value: unknown): value is ServiceClass {
  return typeof value === 'function' && value.prototype instanceof Service
}

/** The methods a service class defines, its own and its parents' up to Service. */
function functionNames(serviceClass: Function): string[] {
  const names: string[] = []
  let proto = serviceClass.prototype
  while (proto && proto !== Service.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name)
      if (name !== 'constructor' && typeof descriptor?.value === 'function') names.push(name)
    }
    proto = Object.getPrototypeOf(proto)
  }
  return names
}
