// Which words start a caption page (and a line), as the server's layout put them for the last
// saved version, held by word id so they survive local edits until the next layout arrives: a
// word the person adds joins the page of the word before it. A page break the person set on a word
// (`pageBreak`) shows at once, before the server's layout of it arrives.

import type { Word } from './store'

export type PageBreaks = { pages: Set<number>; lines: Set<number> }

export type Page = { index: number; words: Word[]; lines: Word[][]; startMs: number; endMs: number }

type Layout = { pages: { lines: { from: number; to: number }[] }[] }

/** Breaks from the server's layout of `words` (the words as saved). */
export function breaksFrom(layout: Layout, words: readonly Word[]): PageBreaks {
  const pages = new Set<number>()
  const lines = new Set<number>()
  for (const page of layout.pages) {
    const first = page.lines[0]
    if (first && words[first.from]) pages.add(words[first.from].id)
    for (const line of page.lines) if (words[line.from]) lines.add(words[line.from].id)
  }
  return { pages, lines }
}

/** Before the server's layout arrives: a page at each pause and sentence end, of at most 8 words. */
const PROVISIONAL = { pauseMs: 700, words: 8 }

function provisionalBreak(page: Page, w: Word): boolean {
  const last = page.words.at(-1)!
  return w.startMs - last.endMs >= PROVISIONAL.pauseMs || /[.!?…]$/.test(last.text) || page.words.length >= PROVISIONAL.words
}

/**
 * The words grouped into pages of lines. Until a layout has come (no breaks yet), pages are cut
 * provisionally, so a long transcript is never shown as one page of thousands of words.
 */
export function paginate(words: readonly Word[], breaks: PageBreaks): Page[] {
  const pages: Page[] = []
  const laidOut = breaks.pages.size > 0
  for (const w of words) {
    const page = pages.at(-1)
    if (!page || (w.pageBreak ?? (laidOut ? breaks.pages.has(w.id) : provisionalBreak(page, w)))) {
      pages.push({ index: pages.length, words: [w], lines: [[w]], startMs: w.startMs, endMs: w.endMs })
      continue
    }
    page.words.push(w)
    if (breaks.lines.has(w.id) || breaks.pages.has(w.id)) page.lines.push([w])
    else page.lines.at(-1)!.push(w)
    page.endMs = Math.max(page.endMs, w.endMs)
  }
  return pages
}
