/**
 * `jitlite/crypto`: encryption of values at rest with the app's keyring (`JIT_SECRET_KEY`), and random
 * bytes for tokens.
 */
export { FieldCipher, type LoadFieldCipherOptions, loadFieldCipher } from '../crypto.ts'
export { randomBytesPooled } from '../random.ts'
