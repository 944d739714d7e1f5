import jsqrModule from 'jsqr'
import { PNG } from 'pngjs'

// jsqr is CommonJS whose types declare an ES default export: under NodeNext the default import is the
// module object to TypeScript, and the function itself at run time (which also carries `.default`).
const jsQR = (jsqrModule as unknown as { default: typeof jsqrModule.default }).default

/**
 * Reads a QR code the way a phone does: from pixels. `svg` is drawn at `scale` pixels per module
 * (the SVG's runs of dark modules, `M<x> <y>h<n>v1h-<n>z`, on its light square).
 */
export function decodeQrSvg(svg: string, scale = 6): string | null {
  const viewBox = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)
  if (!viewBox) throw new Error('not an SVG with a viewBox')
  const modules = Number(viewBox[1])
  const size = modules * scale
  const pixels = new Uint8ClampedArray(size * size * 4).fill(255)
  for (const run of svg.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, length] = [Number(run[1]), Number(run[2]), Number(run[3])]
    for (let py = y * scale; py < (y + 1) * scale; py++) {
      for (let px = x * scale; px < (x + length) * scale; px++) {
        const at = (py * size + px) * 4
        pixels[at] = pixels[at + 1] = pixels[at + 2] = 0
      }
    }
  }
  return jsQR(pixels, size, size)?.data ?? null
}

/** Reads a QR code from a PNG (a browser's screenshot). */
export function decodeQrPng(png: Buffer): string | null {
  const image = PNG.sync.read(png)
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null
}
