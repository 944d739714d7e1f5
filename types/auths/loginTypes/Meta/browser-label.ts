/**
 * A coarse description of a browser from its User-Agent ("Chrome on Windows"), for the phone's
 * confirmation page: enough to recognise one's own computer, never the whole header (which can
 * identify a device and carries whatever a client put in it).
 *
 * @example
 * describeBrowser('Mozilla/5.0 (Windows NT 10.0; Win64; x64) ... Chrome/124.0.0.0 Safari/537.36') // 'Chrome on Windows'
 */
export function describeBrowser(userAgent: string | undefined): string {
  const ua = userAgent ?? ''
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1]
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1]
  if (browser && system) return `${browser} on ${system}`
  if (browser) return browser
  if (system) return `A browser on ${system}`
  return 'An unknown browser'
}

// Order matters: Edge and Opera also say Chrome, Chrome also says Safari, WeChat's desktop browser says both.
const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/wxwork/i, 'WeCom'],
  [/WindowsWechat|MacWechat/i, 'WeChat for desktop'],
  [/MicroMessenger/i, 'WeChat'],
  [/Edg(?:e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/Chrome\/|CriOS\/|Chromium\//, 'Chrome'],
  [/Safari\//, 'Safari'],
]

const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/Windows/, 'Windows'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Android/, 'Android'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
]
