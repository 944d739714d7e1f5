/**
 * The base of a provider sandbox's own errors (its fixtures, options and programmatic control): a
 * stable `code` such as `ACME_SANDBOX_OPTION_INVALID` and a message that says how to fix it. The
 * provider's own errors (errcodes) are not thrown: a sandbox answers them on the wire, as the provider
 * does. The admin routes and the CLI runner recognise these errors and show their code.
 *
 * @example
 * export class AcmeSandboxError extends SandboxError<'ACME_SANDBOX_UNKNOWN_APP' | 'ACME_SANDBOX_OPTION_INVALID'> {}
 */
export class SandboxError<Code extends string = string> extends Error {
  readonly code: Code

  constructor(code: Code, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = code
  }
}
