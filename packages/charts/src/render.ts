import { createRequire } from 'node:module';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';

/**
 * Rasterises an SVG to PNG with resvg (Rust, shipped as prebuilt per-platform npm packages:
 * nothing is downloaded or compiled at install time). Text is drawn with the DejaVu Sans file
 * of the `dejavu-fonts-ttf` package and never with the machine's fonts, so the same SVG gives
 * the same bytes on every machine.
 */
const FONT = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
export const FONT_FAMILY = 'DejaVu Sans';

const OPTIONS: ResvgRenderOptions = {
  font: { loadSystemFonts: false, fontFiles: [FONT], defaultFontFamily: FONT_FAMILY },
  shapeRendering: 2,
  textRendering: 1,
};

export function renderPng(svg: string): Buffer {
  return new Resvg(svg, OPTIONS).render().asPng();
}
