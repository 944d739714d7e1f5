import { SandboxError } from 'jitlite/sandbox'

/**
 * Errors a user of the WeCom sandbox can meet (its fixtures, options and programmatic control).
 * WeCom's own errors are not thrown: the sandbox answers them on the wire or on a page, as WeCom does.
 */
export const WecomSandboxErrorCodes = {
  WECOM_SANDBOX_FIXTURES_INVALID: 'the fixtures file is missing, not JSON, or does not match the schema',
  WECOM_SANDBOX_UNKNOWN_APP: 'no fixture app has this agentid',
  WECOM_SANDBOX_UNKNOWN_PERSON: 'no fixture member or non-member has this key',
  WECOM_SANDBOX_OPTION_INVALID: 'an option, switch, fault or admin request is malformed',
  WECOM_SANDBOX_LOGIN_REFUSED: 'the login request fails a check WeCom makes (the message says which)',
} as const

export type WecomSandboxErrorCode = keyof typeof WecomSandboxErrorCodes

/**
 * @example
 * try {
 *   sandbox.authorize({ agentid: 1000002, redirectUri: 'https://elsewhere.example/cb', state: 's1' })
 * } catch (error) {
 *   if (error instanceof WecomSandboxError) console.log(error.code) // WECOM_SANDBOX_LOGIN_REFUSED
 * }
 */
export class WecomSandboxError extends SandboxError<WecomSandboxErrorCode> {}
