/** The model most data tests use; no test-runner imports, so that a child process can load it. */

/** The WeChat-user-like model most tests use. */
export const userFields = [
  { name: 'id', title: 'ID', dataType: 'AutoInt', primaryKey: true },
  { name: 'appId', dataType: 'Stext', maxLen: 32, required: true },
  { name: 'openid', dataType: 'Stext', maxLen: 64, required: true },
  { name: 'nickname', dataType: 'Stext', maxLen: 64 },
  { name: 'sex', dataType: 'Numeric' },
  { name: 'createdAt', dataType: 'Datetime' },
  { name: 'updatedAt', dataType: 'Datetime' },
]
export const userConfig = { table: 'users', fields: userFields, unique: [['appId', 'openid']] }

export interface User {
  id: number
  appId: string
  openid: string
  nickname: string | null
  sex: number | null
  createdAt: Date
  updatedAt: Date
}
