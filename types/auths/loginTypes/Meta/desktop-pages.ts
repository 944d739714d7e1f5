/**
 * The phone's pages of a desktop sign-in: the confirmation ("Sign in on the computer?") and where a
 * scan or a decision ends. Self-contained HTML in the login pages' style, no script. They show the
 * app's title, the user's display name, when the code was shown and a coarse browser label: never a
 * ticket, code, state, session id or token. The form's CSRF token is the only value they carry.
 */
import { escapeHtml, LOGIN_PAGE_STYLE } from './pages.ts'

/** Where a phone's scan or decision can end, with its HTTP status. */
export const PHONE_PAGE_STATUS = {
  ticket_invalid: 400,
  ticket_expired: 400,
  ticket_taken: 403,
  ticket_used: 400,
  ticket_cancelled: 400,
  /** The phone's cookie is gone (another browser, cookies cleared). */
  ticket_no_phone: 403,
  /** The phone holds the ticket but its sign-in did not finish (refused, failed, or a page opened directly). */
  ticket_unfinished: 400,
  confirmed: 200,
  declined: 200,
} as const

export type PhonePageKind = keyof typeof PHONE_PAGE_STATUS

const TEXT: Record<PhonePageKind, { title: string; lead: string; hint: string; mark: string }> = {
  ticket_invalid: {
    title: 'This code is not valid',
    lead: 'It was not made by this site, or the link is incomplete.',
    hint: 'Show a new code on the computer and scan it again.',
    mark: '!',
  },
  ticket_expired: {
    title: 'This code has expired',
    lead: 'A sign-in code works for a few minutes, and this one is too old.',
    hint: 'The computer shows a new code by itself: scan that one.',
    mark: '!',
  },
  ticket_taken: {
    title: 'This code was scanned by another phone',
    lead: 'For your safety, only the first phone that scans a code can confirm it.',
    hint: 'If that was not you, show a new code on the computer and scan it again.',
    mark: '!',
  },
  ticket_used: {
    title: 'This code was already used',
    lead: 'Each code signs a computer in once, and this one has done so.',
    hint: 'To sign in again, show a new code on the computer.',
    mark: '!',
  },
  ticket_cancelled: {
    title: 'This sign-in was cancelled',
    lead: 'The computer is not signed in with this code.',
    hint: 'To sign in, show a new code on the computer.',
    mark: '!',
  },
  ticket_no_phone: {
    title: 'Please finish on the phone that scanned',
    lead: 'This browser is not the one that scanned the code, or it did not keep the cookie for it.',
    hint: 'Scan the code on the computer again with this phone, and allow cookies for this site.',
    mark: '!',
  },
  ticket_unfinished: {
    title: 'Sign in first',
    lead: 'This phone has not finished signing in for the code on the computer.',
    hint: 'Scan the code on the computer again to sign in and confirm.',
    mark: '!',
  },
  confirmed: {
    title: 'You are signed in on the computer',
    lead: 'The computer that showed the code is signing you in now.',
    hint: 'You can close this page.',
    mark: '✓',
  },
  declined: {
    title: 'Sign-in cancelled',
    lead: 'The computer was not signed in.',
    hint: 'You can close this page.',
    mark: '×',
  },
}

/** Headers of the phone's pages: no cache, and the confirmation form may post to its own origin only. */
export const PHONE_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  // same-origin, not no-referrer: a form posted under no-referrer sends `Origin: null`, and the
  // decision checks the Origin.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
})

const EXTRA_STYLE = `
dl{margin:18px 0 4px;text-align:left;border-top:1px solid #e8eaee}
dl div{display:flex;justify-content:space-between;gap:16px;padding:11px 2px;border-bottom:1px solid #e8eaee;font-size:15px}
dt{color:var(--ink-2)}dd{text-align:right;font-weight:500}
form{margin-top:22px;display:flex;flex-direction:column;gap:10px}
button{height:50px;border-radius:12px;border:0;font:inherit;font-size:17px;font-weight:600;cursor:pointer;-webkit-tap-highlight-color:transparent}
button.primary{background:var(--wechat);color:#fff}
button.secondary{background:#f1f2f4;color:var(--ink)}
`.trim()

function document(title: string, appTitle: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<title>${escapeHtml(title)} - ${escapeHtml(appTitle)}</title>
<style>${LOGIN_PAGE_STYLE}
${EXTRA_STYLE}</style>
</head>
<body>
<main role="main">
${body}
</main>
</body>
</html>
`
}

/** A page where a scan or a decision ends. */
export function renderPhonePage(kind: PhonePageKind, appTitle: string): string {
  const text = TEXT[kind]
  return document(
    text.title,
    appTitle,
    `<div class="mark" aria-hidden="true">${escapeHtml(text.mark)}</div>
<h1>${escapeHtml(text.title)}</h1>
<p>${escapeHtml(text.lead)}</p>
<p class="hint">${escapeHtml(text.hint)}</p>`,
  )
}

export interface ConfirmPageInput {
  appTitle: string
  /** Who the phone signed in as. */
  userName: string
  /** When the desktop showed the code, and now (ms since the epoch). */
  shownAtMs: number
  nowMs: number
  /** Which browser shows the code ("Chrome on Windows"). */
  browserLabel: string
  /** Where the form posts (the decide action's path). */
  action: string
  csrfToken: string
}

/** The phone's question: Confirm signs the computer in, Cancel ends the ticket. */
export function renderConfirmPage(input: ConfirmPageInput): string {
  const shown = new Date(input.shownAtMs)
  const clock = `${String(shown.getUTCHours()).padStart(2, '0')}:${String(shown.getUTCMinutes()).padStart(2, '0')} UTC`
  const minutes = Math.floor(Math.max(0, input.nowMs - input.shownAtMs) / 60_000)
  const ago = minutes === 0 ? 'just now' : minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`
  return document(
    'Sign in on the computer?',
    input.appTitle,
    `<div class="mark" aria-hidden="true">⌨</div>
<h1>Sign in on the computer?</h1>
<p>${escapeHtml(input.appTitle)} will sign you in as <b>${escapeHtml(input.userName)}</b> on the computer that shows the code.</p>
<dl>
<div><dt>Code shown</dt><dd>${escapeHtml(ago)} (${escapeHtml(clock)})</dd></div>
<div><dt>Browser</dt><dd>${escapeHtml(input.browserLabel)}</dd></div>
</dl>
<p class="hint">Confirm only if you scanned this code yourself, from a screen in front of you.</p>
<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}">
<button class="primary" type="submit" name="decision" value="confirm">Confirm</button>
<button class="secondary" type="submit" name="decision" value="cancel">Cancel</button>
</form>`,
  )
}
