// The emoji a word can carry, as the server draws them (`GET /api/emoji`): a picker shows the
// same drawing the render burns in, and the words each suits (for emoji added from the words).

import type { Schemas } from '../api/client'

export type EmojiEntry = Schemas['EmojiEntry']

/**
 * An ASS drawing (`m x y`, `l x y …`, `b x1 y1 x2 y2 x3 y3 …`) as an SVG path: the same
 * commands with SVG's letters. ASS closes every contour at the next `m`, as `Z` does.
 */
export function svgPath(drawing: string): string {
  const letters: Record<string, string> = { m: 'Z M', l: 'L', b: 'C' }
  const path = drawing.replace(/[mlb]/g, (c) => letters[c])
  return `${path.replace(/^Z /, '')} Z`
}

/** `#RRGGBBAA` → an SVG fill and its opacity. */
export function fill(color: string): { fill: string; opacity: number } {
  return color.length === 9
    ? { fill: color.slice(0, 7), opacity: parseInt(color.slice(7), 16) / 255 }
    : { fill: color, opacity: 1 }
}

/** The emoji suited to a spoken word, by its keywords (as `cofee_core::emoji::suggest`). */
export function suggestFor(catalogue: readonly EmojiEntry[], word: string): EmojiEntry | undefined {
  const bare = word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').toLowerCase()
  if (!bare) return undefined
  return catalogue.find((e) => e.keywords.includes(bare))
}

/** Entries whose name or keywords start with a word of `query`, all for an empty query. */
export function search(catalogue: readonly EmojiEntry[], query: string): EmojiEntry[] {
  const q = query.trim().toLowerCase()
  if (!q) return [...catalogue]
  return catalogue.filter((e) => e.emoji === q || [...e.name.toLowerCase().split(/[\s-]+/), ...e.keywords].some((k) => k.startsWith(q)))
}
