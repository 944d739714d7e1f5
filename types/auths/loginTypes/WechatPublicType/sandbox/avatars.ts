import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { WechatSandbox } from './state.ts'

/**
 * Avatars served by the sandbox itself (no outside host), as SVG drawn from the fixture's colour and
 * letters. URLs mimic WeChat's (`.../mmopen/<id>/132`, the last segment a size: 0 = 640 px, 46, 64, 96, 132).
 */

// A Map: the size comes from the URL, and an object would answer "constructor" with a function.
const SIZES_PX: ReadonlyMap<string, number> = new Map([
  ['0', 640],
  ['46', 46],
  ['64', 64],
  ['96', 96],
  ['132', 132],
])

interface AvatarSpec {
  background: string
  text: string
}

/** An opaque, stable id for a user's avatar (the key itself stays out of the URL). */
export function avatarId(userKey: string): string {
  return createHash('sha256').update(`avatar\u0000${userKey}`).digest('hex').slice(0, 32)
}

/** The user's headimgurl under the sandbox's public base URL. */
export function avatarUrl(publicBaseUrl: string, userKey: string): string {
  return `${publicBaseUrl}/avatars/mmopen/${avatarId(userKey)}/132`
}

/** Path (under the sandbox base) of an account's logo, and of the grey "no avatar" silhouette. */
export const appAvatarPath = (appid: string) => `/avatars/app/${appid}`
export const DEFAULT_AVATAR_PATH = '/avatars/default'

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`).replace(/[\u0000-\u001f\u007f]/g, '')
}

export function renderAvatarSvg(avatar: AvatarSpec | null, sizePx: number): string {
  const open = `<svg xmlns="http://www.w3.org/2000/svg" width="${sizePx}" height="${sizePx}" viewBox="0 0 100 100">`
  if (!avatar) {
    return (
      `${open}<rect width="100" height="100" fill="#E5E5E5"/>` +
      '<circle cx="50" cy="38" r="18" fill="#B2B2B2"/><path d="M16 100c0-22 15-34 34-34s34 12 34 34z" fill="#B2B2B2"/></svg>'
    )
  }
  const fontSize = [...avatar.text].length > 1 ? 36 : 48
  return (
    `${open}<rect width="100" height="100" fill="${avatar.background}"/>` +
    `<text x="50" y="52" text-anchor="middle" dominant-baseline="middle" font-size="${fontSize}" ` +
    `font-family="-apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif" fill="#FFFFFF">` +
    `${escapeXml(avatar.text)}</text></svg>`
  )
}

/** Registers the avatar routes on the sandbox plugin. */
export function registerAvatarRoutes(fastify: FastifyInstance, sandbox: WechatSandbox): void {
  const sendSvg = (reply: import('fastify').FastifyReply, svg: string) =>
    reply.header('content-type', 'image/svg+xml').header('cache-control', 'public, max-age=3600').send(svg)

  fastify.get<{ Params: { id: string; size: string } }>(
    '/avatars/mmopen/:id/:size',
    { logLevel: 'warn' },
    async (request, reply) => {
      const sizePx = SIZES_PX.get(request.params.size)
      const user = sandbox.users().find((candidate) => avatarId(candidate.key) === request.params.id)
      if (!sizePx || !user?.avatar) return reply.code(404).type('text/plain').send('not found')
      return sendSvg(reply, renderAvatarSvg(user.avatar, sizePx))
    },
  )

  fastify.get<{ Params: { appid: string } }>(
    '/avatars/app/:appid',
    { logLevel: 'warn' },
    async (request, reply) => {
      const app = sandbox.app(request.params.appid)
      if (!app) return reply.code(404).type('text/plain').send('not found')
      return sendSvg(reply, renderAvatarSvg(app.avatar, 132))
    },
  )

  fastify.get('/avatars/default', { logLevel: 'warn' }, async (_request, reply) =>
    sendSvg(reply, renderAvatarSvg(null, 132)),
  )
}
