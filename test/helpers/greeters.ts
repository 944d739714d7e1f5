import type { FileTree } from './temp-app.ts'

/**
 * A small element family used across runtime tests: `greeters.Meta` -> `greeters.FriendlyType` ->
 * Instances, with a secret config field and an instance-scoped service child.
 */
export const greeterFamily: FileTree = {
  'greeters/Meta/e.json': { title: 'Greeters', type: '' },
  'greeters/FriendlyType/e.json': { title: 'Friendly greeter', type: 'greeters.Meta' },
  'greeters/FriendlyType/type.ts': `
import { defineType, secret, z } from 'jitlite'

export default defineType({
  config: z.object({
    greeting: z.string().default('Hello'),
    punctuation: z.enum(['!', '.']).default('!'),
    apiKey: secret(z.string()).optional(),
  }),
  load: ({ config, element }) => ({
    name: element.fullName,
    greet: (who: string) => \`\${config.greeting}, \${who}\${config.punctuation}\`,
    slowGreet: async (who: string, ms: number) => {
      await new Promise((r) => setTimeout(r, ms))
      return \`\${config.greeting}, \${who}\${config.punctuation}\`
    },
  }),
})
`,
  'greeters/FriendlyType/services/EchoSvc/e.json': {
    title: 'Echo',
    type: 'services.NormalType',
    functionList: [{ name: 'whoAmI' }],
  },
  'greeters/FriendlyType/services/EchoSvc/index.ts': `
import { Service } from 'jitlite'

export default class EchoSvc extends Service<{ greeting: string }> {
  whoAmI() {
    return { owner: this.owner?.element.fullName, greeting: this.owner?.config.greeting }
  }
}
`,
}
