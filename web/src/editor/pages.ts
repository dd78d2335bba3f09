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

/** The words grouped into pages of lines. */
export function paginate(words: readonly Word[], breaks: PageBreaks): Page[] {
  const pages: Page[] = []
  for (const w of words) {
    const page = pages.at(-1)
    if (!page || (w.pageBreak ?? breaks.pages.has(w.id))) {
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
