/**
 * The success bodies of WeChat's web-authorization endpoints (docs/wechat-protocol.md#code-exchange
 * to #validate). Every answer is checked against one of these before anyone uses it: a body that
 * lacks a field is a failure.
 */
import { z } from 'zod'

const openid = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)
const token = z.string().min(1).max(512)

/** `/sns/oauth2/access_token` and `/sns/oauth2/refresh_token`. */
export const wechatTokenSchema = z.object({
  access_token: token,
  expires_in: z.number().int().positive(),
  refresh_token: token,
  openid,
  scope: z.string(),
  /** Only for snsapi_userinfo on accounts bound to an Open Platform account. */
  unionid: z.string().min(1).optional(),
  /** 1 for a snapshot-page virtual user (never create or link an account for one); absent otherwise. */
  is_snapshotuser: z.number().int().optional(),
})

export type WechatTokenResponse = z.infer<typeof wechatTokenSchema>

// Older servers sent `sex` as a string ("1"); since 2021 it is always 0. Anything unreadable is 0 (unknown).
const sex = z.union([z.number(), z.string()]).transform((value) => {
  const number = typeof value === 'number' ? value : Number.parseInt(value, 10)
  return number === 1 || number === 2 ? number : 0
})

/** `/sns/userinfo`. Since October 2021 province, city, country and language are "" and sex is 0. */
export const wechatUserInfoSchema = z.object({
  openid,
  nickname: z.string(),
  sex: sex.default(0),
  province: z.string().default(''),
  city: z.string().default(''),
  country: z.string().default(''),
  /** May be "" (no avatar). */
  headimgurl: z.string().default(''),
  privilege: z.array(z.string()).default([]),
  unionid: z.string().min(1).optional(),
  language: z.string().optional(),
})

export type WechatUserInfo = z.infer<typeof wechatUserInfoSchema>

/** `/sns/auth` success: `{"errcode":0,"errmsg":"ok"}`. */
export const wechatAuthSchema = z.object({
  errcode: z.literal(0),
  errmsg: z.string(),
})
