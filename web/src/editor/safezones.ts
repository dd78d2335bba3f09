// Where the short-video apps draw their own interface over a 9:16 video (the caption and
// account line, the like/comment/share column, the top tabs), as fractions of the frame, and
// which caption pages would sit under it. The areas are those the platforms' creator guides and
// common safe-zone templates give for a 1080×1920 upload (2025–26); they are approximate, as
// every app version moves them a little, and err on the side of a larger area.

import type { Page } from './pages'

export type Area = { x: number; y: number; w: number; h: number; label: string }

export type Platform = 'tiktok' | 'reels' | 'shorts'

export const PLATFORMS: Record<Platform, { name: string; areas: Area[] }> = {
  tiktok: {
    name: 'TikTok',
    areas: [
      { x: 0, y: 0, w: 1, h: 0.08, label: 'tabs' },
      { x: 0, y: 0.8, w: 1, h: 0.2, label: 'caption and sound' },
      { x: 0.86, y: 0.38, w: 0.14, h: 0.42, label: 'buttons' },
    ],
  },
  reels: {
    name: 'Instagram Reels',
    areas: [
      { x: 0, y: 0, w: 1, h: 0.11, label: 'header' },
      { x: 0, y: 0.79, w: 1, h: 0.21, label: 'caption and account' },
      { x: 0.87, y: 0.45, w: 0.13, h: 0.34, label: 'buttons' },
    ],
  },
  shorts: {
    name: 'YouTube Shorts',
    areas: [
      { x: 0, y: 0, w: 1, h: 0.07, label: 'header' },
      { x: 0, y: 0.78, w: 1, h: 0.22, label: 'title and channel' },
      { x: 0.85, y: 0.42, w: 0.15, h: 0.36, label: 'buttons' },
    ],
  },
}

/** What of a style places captions (the fields of `StyleInput` the box depends on). */
export type Placement = {
  font_size?: number
  uppercase?: boolean
  position?: 'top' | 'middle' | 'bottom'
  align?: 'left' | 'center' | 'right'
  margin_v?: number
  margin_h?: number
}

/** Line height and glyph advance in em, as `cofee_core::ass` estimates them for Inter Bold. */
const LINE_EM = 1.25
const ADVANCE_EM = 0.56
const ADVANCE_UPPER_EM = 0.68

/** The box a page's text takes on a `width`×`height` frame, in fractions of the frame. */
export function captionBox(page: Page, style: Placement, width: number, height: number): Omit<Area, 'label'> {
  const font = ((style.font_size ?? 4.2) / 100) * height
  const advance = style.uppercase ? ADVANCE_UPPER_EM : ADVANCE_EM
  const longest = Math.max(0, ...page.lines.map((l) => l.reduce((n, w) => n + [...w.text].length, 0) + l.length - 1))
  const w = Math.min(width, longest * font * advance)
  const h = page.lines.length * font * LINE_EM
  const mv = ((style.margin_v ?? 10) / 100) * height
  const mh = ((style.margin_h ?? 6) / 100) * width
  const y = style.position === 'top' ? mv : style.position === 'middle' ? (height - h) / 2 : height - mv - h
  const x = style.align === 'left' ? mh : style.align === 'right' ? width - mh - w : (width - w) / 2
  return { x: x / width, y: y / height, w: w / width, h: h / height }
}

const overlaps = (a: Omit<Area, 'label'>, b: Omit<Area, 'label'>) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h

export type Covered = { page: number; wordId: number; area: string }

/** The pages whose text would sit under one of the platform's interface areas. */
export function coveredPages(pages: readonly Page[], style: Placement, platform: Platform, width: number, height: number): Covered[] {
  const covered: Covered[] = []
  for (const page of pages) {
    const box = captionBox(page, style, width, height)
    const area = PLATFORMS[platform].areas.find((a) => overlaps(box, a))
    if (area && page.words[0]) covered.push({ page: page.index, wordId: page.words[0].id, area: area.label })
  }
  return covered
}

/**
 * Margins that keep captions clear of the platform's interface: from the top or bottom edge
 * (`margin_v`, % of height) past the bar at the captions' edge (unchanged for captions in the
 * middle), and from the sides (`margin_h`, % of width) past the button column, so lines are laid
 * out narrower. Each only grows; a word wider than the space left can still reach an area.
 */
export function clearingMargins(style: Placement, platform: Platform): { margin_v: number; margin_h: number } {
  const areas = PLATFORMS[platform].areas
  const pct = (f: number) => Math.ceil(f * 100 - 1e-9) + 2 // 0.14 × 100 is 14.000000000000002
  const bars = areas.filter((a) => a.w === 1)
  const edge =
    style.position === 'top'
      ? pct(Math.max(...bars.filter((a) => a.y === 0).map((a) => a.h)))
      : style.position === 'middle'
        ? 0
        : pct(Math.max(...bars.filter((a) => a.y + a.h >= 1).map((a) => a.h)))
  const side = pct(Math.max(...areas.filter((a) => a.w < 1).map((a) => a.w)))
  return { margin_v: Math.max(style.margin_v ?? 0, edge), margin_h: Math.max(style.margin_h ?? 0, side) }
}
