import { z } from 'zod'
import { isSecretSchema } from '../config/secrets.ts'

export type JsonSchema = Record<string, unknown>

/** Constraints of a secret's value: the form holds a `${NAME}` reference, which they would refuse. */
const VALUE_CONSTRAINTS = ['pattern', 'minLength', 'maxLength', 'format', 'enum', 'const']

/**
 * The JSON Schema of a Type's config, for the console's form: the input side (fields with a default
 * are optional, and carry it), titles, descriptions and placeholders from `.meta()`, and every secret
 * field marked `"x-jit-secret": true` with its value constraints moved under `x-jit-value` (its value
 * lives in the environment; the form writes a reference).
 */
export function configJsonSchema(schema: z.ZodType | undefined): JsonSchema {
  if (!schema) return { type: 'object', properties: {}, additionalProperties: true }
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      if (!isSecretSchema(ctx.zodSchema)) return
      const json = ctx.jsonSchema as JsonSchema
      const value: JsonSchema = {}
      for (const key of VALUE_CONSTRAINTS) {
        if (key in json) {
          value[key] = json[key]
          delete json[key]
        }
      }
      json['x-jit-secret'] = true
      if (Object.keys(value).length > 0) json['x-jit-value'] = value
    },
  }) as JsonSchema
}
