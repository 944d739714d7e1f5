/**
 * Hostile requests for the fuzz, generated with fast-check: every route of the target app (the login
 * Instance's login and callback, the session and logout routes, a service's functions, the browser
 * runtime and element files, /healthz, /metrics) and paths beside them, with query strings of
 * off-origin redirect targets, forged and replayed states and codes, odd cookies and headers, and
 * bodies of every shape. `{{state}}`, `{{code}}` and `{{session}}` stand for values of real logins
 * of the run, filled in when the request is sent.
 */
import fc from 'fast-check'
import { API, INSTANCE_PATH, SESSION_PATH } from './target.ts'

export interface FuzzRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS' | 'PATCH'
  path: string
  query: Array<[string, string]>
  headers: Record<string, string>
  body?: string
}

export const FUZZ_SERVICE_PATH = `${API}/services/NotesSvc`

const ROUTES = [
  `${INSTANCE_PATH}/login`,
  `${INSTANCE_PATH}/callback`,
  SESSION_PATH,
  `${API}/auths/logout`,
  `${FUZZ_SERVICE_PATH}/add`,
  `${FUZZ_SERVICE_PATH}/mine`,
  `${INSTANCE_PATH}/providerInfo`,
  `${API}/auths/loginTypes/Nope/login`,
  '/healthz',
  '/metrics',
  '/jit/runtime.js',
  '/jit/runtime.js.map',
  '/jit/app.json',
  '/jit/elements/auths.loginTypes.ShopLogin.js',
  '/jit/bundles/x.js',
  '/',
  `/api/ops/other${INSTANCE_PATH.slice(`/api/ops/shop`.length)}/login`,
]

/** Where a redirect must never go. */
const OFF_ORIGIN = [
  'https://evil.example/',
  '//evil.example/x',
  '/\\evil.example',
  '\\\\evil.example',
  'https:evil.example',
  'http://127.0.0.1.evil.example/',
  'http://evil.example@127.0.0.1/',
  'javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '%2F%2Fevil.example',
  '/%09/evil.example',
  '/\t/evil.example',
  'https://evil.example%2F@127.0.0.1',
  'ftp://evil.example',
  '///evil.example',
  ' https://evil.example',
]

const hostile = fc.oneof(
  fc.constantFrom(...OFF_ORIGIN),
  fc.constantFrom('{{state}}', '{{code}}', '{{session}}', '', ' ', '%', '%zz', '\u0000', '../../etc/passwd'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{20,80}$/),
  fc.integer().map(String),
  fc.constant('a'.repeat(5000)),
)

const pathArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ROUTES) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...ROUTES),
        fc.constantFrom(
          '/',
          '//',
          '/..',
          '/%2e%2e/',
          '%00',
          '/x',
          ';a=b',
          '/%ff',
          '/..%2f..%2fetc',
          '.json',
          '%20',
          '/%E2%80%AE',
        ),
      )
      .map(([route, tail]) => route + tail),
  },
  { weight: 1, arbitrary: fc.webPath() },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.oneof(
          fc.constantFrom('api', 'ops', 'shop', 'auths', 'loginTypes', 'ShopLogin', 'services'),
          fc.webSegment(),
        ),
        {
          minLength: 1,
          maxLength: 8,
        },
      )
      .map((segments) => `/${segments.join('/')}`),
  },
)

const queryArb = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom('redirectUrl', 'code', 'state', 'appid', 'scope', 'error', 'redirect_uri'),
      fc.string({ maxLength: 12 }),
    ),
    hostile,
  ),
  { maxLength: 5 },
)

const headersArb = fc.record(
  {
    cookie: fc.oneof(
      fc.constantFrom(
        'jit_session={{session}}x',
        'jit_session=',
        'jit_session=; jit_session=abc',
        'jit_login={{state}}',
      ),
      hostile.map((v) => `jit_session=${encodeURIComponent(v)}`),
      hostile.map((v) => `jit_login=${encodeURIComponent(v)}`),
    ),
    'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('evil.example', '1.1.1.1, 2.2.2.2')),
    'x-forwarded-host': fc.constantFrom('evil.example', '127.0.0.1:1'),
    'x-forwarded-proto': fc.constantFrom('https', 'javascript'),
    'user-agent': fc.constantFrom('Mozilla/5.0 MicroMessenger/8.0.47', 'curl/8', ''),
    accept: fc.constantFrom('text/html', 'application/json', '*/*', ''),
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ),
    origin: fc.constantFrom('https://evil.example', 'null'),
    referer: fc.constantFrom(...OFF_ORIGIN.slice(0, 3)),
  },
  { requiredKeys: [] },
)

const bodyArb = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{"text":"hi"}',
    '{"text":',
    '[]',
    'null',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
  ),
  fc.constant(`{"text":"${'x'.repeat(300_000)}"}`),
)

export const fuzzRequestArb: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constant('GET' as const) },
      { weight: 3, arbitrary: fc.constant('POST' as const) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'HEAD' as const,
          'PUT' as const,
          'DELETE' as const,
          'OPTIONS' as const,
          'PATCH' as const,
        ),
      },
    ),
    path: pathArb,
    query: queryArb,
    headers: headersArb,
    body: fc.option(bodyArb, { nil: undefined }),
  })
  .map((r) => (r.method === 'GET' || r.method === 'HEAD' ? { ...r, body: undefined } : r))
