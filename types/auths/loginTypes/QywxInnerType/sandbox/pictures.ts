import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply } from 'fastify'
import QRCode from 'qrcode'
import type { WecomSandbox } from './state.ts'

/**
 * Pictures served by the sandbox itself (no outside host): members' avatars and "名片" QR codes, app
 * logos and the grey default avatar, drawn as SVG from the fixtures.
 */

interface PictureSpec {
  background: string
  text: string
}

/** An opaque, stable id for a member's pictures (the key stays out of the URL). */
export function pictureId(key: string): string {
  return createHash('sha256').update(`wecom-picture\u0000${key}`).digest('hex').slice(0, 32)
}

/** Path of a picture under the sandbox base. */
export function picturePath(kind: 'member' | 'qr' | 'app' | 'default', key = ''): string {
  if (kind === 'default') return '/pictures/default'
  if (kind === 'app') return `/pictures/app/${encodeURIComponent(key)}`
  return `/pictures/${kind}/${pictureId(key)}`
}

export function pictureUrl(
  publicBaseUrl: string,
  kind: 'member' | 'qr' | 'app' | 'default',
  key = '',
): string {
  return `${publicBaseUrl}${picturePath(kind, key)}`
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`).replace(/[\u0000-\u001f\u007f]/g, '')
}

export function renderPictureSvg(spec: PictureSpec | null, sizePx = 132): string {
  const open = `<svg xmlns="http://www.w3.org/2000/svg" width="${sizePx}" height="${sizePx}" viewBox="0 0 100 100">`
  if (!spec) {
    return (
      `${open}<rect width="100" height="100" fill="#E5E5E5"/>` +
      '<circle cx="50" cy="38" r="18" fill="#B2B2B2"/><path d="M16 100c0-22 15-34 34-34s34 12 34 34z" fill="#B2B2B2"/></svg>'
    )
  }
  const fontSize = [...spec.text].length > 1 ? 34 : 48
  return (
    `${open}<rect width="100" height="100" rx="8" fill="${spec.background}"/>` +
    `<text x="50" y="52" text-anchor="middle" dominant-baseline="middle" font-size="${fontSize}" ` +
    `font-family="-apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif" fill="#FFFFFF">` +
    `${escapeXml(spec.text)}</text></svg>`
  )
}

/** A QR code of `text` as SVG (error correction M, four light modules around). */
export function qrSvg(text: string, label = ''): string {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const size = modules.size + 8
  let path = ''
  for (let y = 0; y < modules.size; y++) {
    for (let x = 0; x < modules.size; x++) if (modules.get(y, x)) path += `M${x + 4} ${y + 4}h1v1h-1z`
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges" role="img" aria-label="${escapeXml(label)}">` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`
  )
}

/** Registers the picture routes on the sandbox plugin. */
export function registerPictureRoutes(fastify: FastifyInstance, sandbox: WecomSandbox): void {
  const sendSvg = (reply: FastifyReply, svg: string) =>
    reply.header('content-type', 'image/svg+xml').header('cache-control', 'public, max-age=3600').send(svg)
  const memberOf = (id: string) => sandbox.members().find((member) => pictureId(member.key) === id)

  fastify.get<{ Params: { id: string } }>(
    '/pictures/member/:id',
    { logLevel: 'warn' },
    async (request, reply) => {
      const member = memberOf(request.params.id)
      if (!member?.avatar) return reply.code(404).type('text/plain').send('not found')
      return sendSvg(reply, renderPictureSvg(member.avatar))
    },
  )
  fastify.get<{ Params: { id: string } }>(
    '/pictures/qr/:id',
    { logLevel: 'warn' },
    async (request, reply) => {
      const member = memberOf(request.params.id)
      if (!member) return reply.code(404).type('text/plain').send('not found')
      return sendSvg(reply, qrSvg(`https://work.weixin.qq.com/u/sandbox-${request.params.id}`, member.name))
    },
  )
  fastify.get<{ Params: { agentid: string } }>(
    '/pictures/app/:agentid',
    { logLevel: 'warn' },
    async (request, reply) => {
      const app = sandbox.app(Number(request.params.agentid))
      if (!app) return reply.code(404).type('text/plain').send('not found')
      return sendSvg(
        reply,
        renderPictureSvg(app.logo ?? { background: '#0082EF', text: app.name.slice(0, 1) }),
      )
    },
  )
  fastify.get('/pictures/default', { logLevel: 'warn' }, async (_request, reply) =>
    sendSvg(reply, renderPictureSvg(null)),
  )
}
