// The sandbox clock is jitlite/sandbox's; this name stays for code that imported it from here.
export { SandboxClock } from 'jitlite/sandbox'
