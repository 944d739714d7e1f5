import { z } from 'zod'

/** A name a JitAi element or function can carry: it becomes one segment of a dotted fullName. */
export const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

const FunctionArgSchema = z.looseObject({
  name: z.string().regex(ELEMENT_NAME, 'must be an identifier'),
  title: z.string().optional(),
  dataType: z.string().optional(),
  required: z.boolean().optional(),
})

/** One entry of e.json `functionList`: a function the element exposes to scripts and HTTP. */
export const FunctionDeclSchema = z.looseObject({
  name: z.string().regex(ELEMENT_NAME, 'must be an identifier'),
  title: z.string().optional(),
  args: z.array(FunctionArgSchema).optional(),
  returnType: z.string().optional(),
  /** Whether an HTTP caller must be logged in. True unless set to false. */
  loginRequired: z.boolean().optional(),
})

/** e.json with JitAi's field names. Unknown keys are kept: JitAi tools write more than we read. */
export const ElementDefineSchema = z.looseObject({
  title: z.string({ error: 'is required: a short human title for the element' }).min(1, 'must not be empty'),
  type: z.string({
    error: 'is required: the fullName of a Type, a Meta\'s fullName for a Type, or "" for a Meta',
  }),
  description: z.string().optional(),
  icon: z.string().optional(),
  tag: z.string().optional(),
  backendBundleEntry: z.string().optional(),
  frontBundleEntry: z.string().optional(),
  functionList: z.array(FunctionDeclSchema).optional(),
  accessModifier: z.enum(['public', 'protected', 'private']).optional(),
  variables: z.array(z.unknown()).optional(),
})

export type ElementDefine = z.infer<typeof ElementDefineSchema>
export type FunctionDecl = z.infer<typeof FunctionDeclSchema>

export const AppJsonSchema = z.looseObject({
  orgId: z.string().regex(ELEMENT_NAME, 'must be an identifier'),
  name: z.string().regex(ELEMENT_NAME, 'must be an identifier'),
  title: z.string().min(1),
  version: z.string().min(1),
  /** Apps this app extends, as paths relative to this app's root. The framework app is always extended. */
  extends: z.union([z.string(), z.array(z.string())]).optional(),
})

export type AppJson = z.infer<typeof AppJsonSchema>

/** Turns a zod issue path into the dotted field name users see in messages. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.')
}
