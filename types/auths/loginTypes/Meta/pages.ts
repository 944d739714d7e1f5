/**
 * The pages a login can end on when it does not end logged in. Each is one self-contained HTML document
 * (inline CSS, no script, no external asset: the callback URL carries a code, and nothing on the page
 * may send it anywhere), mobile-first, in English. They never show a code, state, token or secret:
 * every value they print is a fixed sentence, a title from the app, or a provider's message that the
 * LoginProvider contract keeps free of them.
 */

/** Every way a login can end on a page, with its HTTP status. */
export const LOGIN_PAGE_STATUS = {
  /** The user refused or closed the provider's consent. */
  cancelled: 403,
  /** The state (or the provider's code) is older than its lifetime. */
  expired: 400,
  /** The state was already used to finish a login. */
  used: 400,
  /** No state, an unknown one, or one minted for another login Instance. */
  invalid: 400,
  /** The query itself is malformed: repeated, oversized, wrong charset, wrong shape. */
  bad_request: 400,
  /** The state belongs to another browser (or this browser lost its login cookie). */
  other_browser: 403,
  /** A provider's virtual user (WeChat's snapshot page): no account is created. */
  snapshot: 403,
  /** The provider refused the login. */
  provider_error: 502,
  /** The provider could not be reached in time. */
  unavailable: 503,
  /** The login Instance's settings are wrong. */
  misconfigured: 503,
  /** Another delivery of the same callback is still being finished. */
  pending: 503,
  /** The app's database cannot be written (a full disk, a read-only file): nothing could be saved. */
  storage_unavailable: 503,
  /** The delivery that was finishing this login stopped before it did (its server went down). */
  interrupted: 400,
  /** This browser or address holds too many unfinished sign-ins (a cap on live states). */
  too_many: 429,
} as const

export type LoginPageKind = keyof typeof LOGIN_PAGE_STATUS

export interface LoginPageInput {
  kind: LoginPageKind
  /** The app's title, for the button back to it. */
  appTitle: string
  /** The app's start page. */
  startPage: string
  /** The login Instance's title ("WeChat Official Account Login"). */
  providerTitle: string
  /** Where "Try again" starts a new login, when one makes sense. */
  retryUrl?: string
  /** A sentence from the provider (LoginResult.message): safe to show, never a secret. */
  detail?: string
  /** For `bad_request`: what is wrong with the link, naming the parameter, never its value. */
  problem?: string
}

interface PageText {
  title: string
  lead: string
  hint?: string
  retry: boolean
}

function textOf(input: LoginPageInput): PageText {
  const provider = input.providerTitle
  switch (input.kind) {
    case 'cancelled':
      return {
        title: 'Sign-in cancelled',
        lead: `You did not allow ${provider}, so nothing was shared and you are not signed in.`,
        hint: 'You can try again whenever you like.',
        retry: true,
      }
    case 'expired':
      return {
        title: 'This sign-in link has expired',
        lead: 'Sign-in links work for 10 minutes. This one is too old to finish signing you in.',
        hint: 'Start again: it only takes a moment.',
        retry: true,
      }
    case 'used':
      return {
        title: 'This sign-in link was already used',
        lead: 'Each sign-in link works once, and this one has finished its sign-in.',
        hint: 'If you are not signed in, start again.',
        retry: true,
      }
    case 'invalid':
      return {
        title: 'This sign-in link is not valid',
        lead: 'It was not started from this site, or it is incomplete.',
        hint: 'Start signing in again from the app.',
        retry: true,
      }
    case 'bad_request':
      return {
        title: 'This sign-in link is malformed',
        lead: `It cannot be read: ${input.problem ?? 'its parameters are not as expected'}.`,
        hint: 'Start signing in again from the app rather than from a copied link.',
        retry: true,
      }
    case 'other_browser':
      return {
        title: 'Please finish signing in where you started',
        lead: 'This sign-in was started in another browser, or this browser did not keep its sign-in cookie.',
        hint: 'For your safety it can only be finished in the browser that started it. Start again here, and allow cookies for this site.',
        retry: true,
      }
    case 'snapshot':
      return {
        title: 'Open the full page to sign in',
        lead: 'You are seeing a preview of this page, and a preview cannot sign you in.',
        hint: 'Tap "Use full service" (使用完整服务) at the bottom of the screen, then sign in again.',
        retry: true,
      }
    case 'provider_error':
      return {
        title: 'Sign-in failed',
        lead: input.detail ?? `${provider} did not accept this sign-in.`,
        hint: 'Please try again. If it keeps failing, contact the site.',
        retry: true,
      }
    case 'unavailable':
      return {
        title: 'Sign-in is unavailable right now',
        lead: input.detail ?? `${provider} did not answer in time.`,
        hint: 'Please try again in a minute.',
        retry: true,
      }
    case 'misconfigured':
      return {
        title: 'Sign-in is not set up correctly',
        lead: `This site's settings for ${provider} are wrong, so nobody can sign in with it at the moment.`,
        hint: 'The problem has been logged for the site team. Please try again later.',
        retry: false,
      }
    case 'storage_unavailable':
      return {
        title: 'Sign-in is unavailable right now',
        lead: 'This site cannot save sign-ins at the moment, so it cannot sign you in.',
        hint: 'The problem has been logged for the site team. Please try again in a minute.',
        retry: true,
      }
    case 'interrupted':
      return {
        title: 'This sign-in was interrupted',
        lead: 'It stopped before it finished, so you are not signed in, and this link cannot finish it now.',
        hint: 'Start again: it only takes a moment.',
        retry: true,
      }
    case 'too_many':
      return {
        title: 'Too many sign-ins in progress',
        lead: 'Too many sign-ins were started from here without being finished.',
        hint: 'Finish a sign-in you started, or wait a few minutes, then try again.',
        retry: false,
      }
    case 'pending':
      return {
        title: 'Still signing you in',
        lead: 'Your sign-in is taking longer than usual to finish.',
        hint: 'Wait a moment, then go back to the app: you may already be signed in.',
        retry: false,
      }
  }
}

// The demo app's palette and type (app/pages/Home), so that a failed login still looks like the app.
export const LOGIN_PAGE_STYLE = `
:root{--bg:#f4f5f7;--card:#fff;--ink:#16181d;--ink-2:#5c6370;--ink-3:#9aa1ad;--brand:#1f3d36;--brand-soft:#e7efe9;--wechat:#07c160;--wechat-press:#06ad56;--radius:20px;
--font:-apple-system,BlinkMacSystemFont,"SF Pro Text","PingFang SC","Helvetica Neue","Noto Sans CJK SC","Microsoft YaHei","Segoe UI",Roboto,Arial,sans-serif}
*{box-sizing:border-box;margin:0;padding:0}
html{-webkit-text-size-adjust:100%}
body{min-height:100vh;display:flex;align-items:center;justify-content:center;padding:24px 16px;background:var(--bg);color:var(--ink);font:16px/1.5 var(--font);-webkit-font-smoothing:antialiased}
main{width:100%;max-width:420px;background:var(--card);border-radius:var(--radius);padding:32px 24px 24px;box-shadow:0 1px 2px rgba(22,24,29,.04),0 8px 24px rgba(22,24,29,.06);text-align:center}
.mark{width:56px;height:56px;margin:0 auto 18px;border-radius:50%;display:flex;align-items:center;justify-content:center;font-size:28px;font-weight:650;background:var(--brand-soft);color:var(--brand)}
h1{font-size:21px;line-height:1.3;letter-spacing:-.01em;font-weight:650;margin-bottom:10px}
p{color:var(--ink-2);margin-bottom:10px}
.hint{font-size:14px;color:var(--ink-3)}
.actions{margin-top:22px;display:flex;flex-direction:column;gap:10px}
a.button{display:flex;align-items:center;justify-content:center;height:50px;border-radius:12px;text-decoration:none;font-size:17px;font-weight:600;-webkit-tap-highlight-color:transparent}
a.button:focus-visible{outline:3px solid rgba(7,193,96,.35);outline-offset:2px}
a.primary{background:var(--wechat);color:#fff}
a.primary:hover{background:var(--wechat-press)}
a.secondary{background:#f1f2f4;color:var(--ink)}
a.secondary:hover{background:#e9eaed}
@media (prefers-color-scheme:dark){:root{--bg:#111214;--card:#1c1d20;--ink:#eceef1;--ink-2:#b4b9c2;--ink-3:#7d8490;--brand-soft:#22332e;--brand:#9fd3bd}main{box-shadow:none}a.secondary{background:#2a2c30;color:var(--ink)}}
`.trim()

/** Headers every login page and redirect carries: the callback URL holds a code, so no referrer, no cache. */
export const LOGIN_RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
})

/**
 * The HTML of a login page.
 *
 * @example
 * renderLoginPage({ kind: 'expired', appTitle: 'Shop', startPage: 'https://shop.example.com/', providerTitle: 'WeChat' })
 */
export function renderLoginPage(input: LoginPageInput): string {
  const text = textOf(input)
  const retry =
    text.retry && input.retryUrl
      ? `<a class="button primary" href="${escapeHtml(input.retryUrl)}">Try again</a>`
      : ''
  const back = `<a class="button ${retry ? 'secondary' : 'primary'}" href="${escapeHtml(input.startPage)}">Back to ${escapeHtml(input.appTitle)}</a>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(text.title)} - ${escapeHtml(input.appTitle)}</title>
<style>${LOGIN_PAGE_STYLE}</style>
</head>
<body>
<main role="main">
<div class="mark" aria-hidden="true">!</div>
<h1>${escapeHtml(text.title)}</h1>
<p>${escapeHtml(text.lead)}</p>
${text.hint ? `<p class="hint">${escapeHtml(text.hint)}</p>` : ''}
<div class="actions">${retry}${back}</div>
</main>
</body>
</html>
`
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}
