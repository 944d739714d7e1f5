/** The coarse browser label the phone's confirmation page shows for the desktop that shows the code. */
import { describe, expect, it } from 'vitest'
import { describeBrowser } from '../../types/auths/loginTypes/Meta/browser-label.ts'

describe('describeBrowser', () => {
  it.each([
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
      'Chrome on Windows',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51',
      'Edge on Windows',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
      'Safari on macOS',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'Firefox on Linux'],
    [
      'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Safari/537.36 NetType/WIFI MicroMessenger/7.0.20.1781(0x6700143B) WindowsWechat(0x63090a13)',
      'WeChat for desktop on Windows',
    ],
    ['curl/8.5.0', 'An unknown browser'],
    [undefined, 'An unknown browser'],
  ])('%s is "%s"', (userAgent, label) => {
    expect(describeBrowser(userAgent)).toBe(label)
  })

  it('never echoes the User-Agent itself', () => {
    expect(describeBrowser('Mozilla/5.0 (Windows NT 10.0) <script>alert(1)</script> Chrome/1')).toBe(
      'Chrome on Windows',
    )
  })
})
