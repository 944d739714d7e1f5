import QRCode from 'qrcode'

/** Light modules around the code; the QR specification asks for four. */
const QUIET_ZONE_MODULES = 4

/** A QR code as rows of modules: true is dark. */
export type QrMatrix = readonly (readonly boolean[])[]

/**
 * The modules of a QR code of `text` (error correction M: a login link stays readable on a screen
 * photographed at an angle).
 *
 * @example
 * qrMatrixOf('https://example.com/login').length // 29 (version 3)
 */
export function qrMatrixOf(text: string): QrMatrix {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' })
  const rows: boolean[][] = []
  for (let y = 0; y < modules.size; y++) {
    const row: boolean[] = []
    for (let x = 0; x < modules.size; x++) row.push(modules.get(y, x) === 1)
    rows.push(row)
  }
  return rows
}

export interface QrSvgOptions {
  /** Read out by screen readers. */
  label?: string
  /** Default '#000'. */
  darkColor?: string
  /** Default '#fff'. */
  lightColor?: string
}

/**
 * The matrix as an SVG that scales to its container: one path of horizontal runs of dark modules on
 * a light square with a quiet zone, drawn with crisp edges.
 *
 * @example
 * container.innerHTML = qrSvgOf(qrMatrixOf(url), { label: 'Scan to log in' })
 */
export function qrSvgOf(matrix: QrMatrix, options: QrSvgOptions = {}): string {
  const size = matrix.length + 2 * QUIET_ZONE_MODULES
  const runs: string[] = []
  matrix.forEach((row, y) => {
    let x = 0
    while (x < row.length) {
      if (!row[x]) {
        x++
        continue
      }
      const start = x
      while (x < row.length && row[x]) x++
      runs.push(`M${start + QUIET_ZONE_MODULES} ${y + QUIET_ZONE_MODULES}h${x - start}v1h-${x - start}z`)
    }
  })
  const label = escapeXml(options.label ?? 'QR code')
  const dark = escapeXml(options.darkColor ?? '#000')
  const light = escapeXml(options.lightColor ?? '#fff')
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" role="img" aria-label="${label}" shape-rendering="crispEdges">` +
    `<title>${label}</title><rect width="${size}" height="${size}" fill="${light}"/>` +
    `<path fill="${dark}" d="${runs.join('')}"/></svg>`
  )
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}
