// Review aids: what in the captions deserves a second look, found from the words and the pages
// the render will show — doubtful words (the engine's confidence), pages too fast or too short
// to read, overlapping words, and pages that sit under a platform's interface — each with where
// it is and, where one exists, a fix of one click. Pure: the editor draws and applies them.

import type { Page } from './pages'
import type { EditorStore, Word } from './store'

/** Below this confidence a word is marked for review. */
export const DOUBTFUL_BELOW = 0.5

/**
 * Reading limits. 20 characters a second is the upper bound subtitle guidelines give for adult
 * viewers (Netflix: 17–20); a page on screen for less than 0.6 s cannot be read as a page.
 */
export const READING = { maxCharsPerSecond: 20, minPageMs: 600, maxWordsPerPage: 12, pauseMs: 500 }

export type FindingKind = 'fast' | 'short' | 'crowded' | 'overlap'

export type Finding = {
  kind: FindingKind
  page: number
  /** The word it concerns (the page's first for page findings). */
  wordId: number
  message: string
  fix?: { label: string; apply: (store: EditorStore) => void }
}

/** Ids of the words whose confidence is under [`DOUBTFUL_BELOW`], in order. */
export function doubtfulWords(words: readonly Word[]): number[] {
  return words.filter((w) => w.confidence < DOUBTFUL_BELOW).map((w) => w.id)
}

/** The next (or, going back, previous) id in `ids` after the word `from` in `words`' order, wrapping. */
export function nextOf(ids: readonly number[], words: readonly Word[], from: number | null, back = false): number | null {
  if (ids.length === 0) return null
  const order = new Map(words.map((w, i) => [w.id, i]))
  const at = from === null ? (back ? Number.POSITIVE_INFINITY : -1) : (order.get(from) ?? -1)
  const positions = ids.map((id) => order.get(id) ?? -1)
  if (back) {
    for (let k = positions.length - 1; k >= 0; k--) if (positions[k] < at) return ids[k]
    return ids[ids.length - 1]
  }
  for (let k = 0; k < positions.length; k++) if (positions[k] > at) return ids[k]
  return ids[0]
}

const chars = (page: Page) => page.words.reduce((n, w) => n + [...w.text].length, 0) + Math.max(0, page.words.length - 1)

/** Where to split a page in two: at its longest pause, else in the middle. */
function splitPoint(page: Page): Word | undefined {
  let best: Word | undefined
  let gap = -1
  for (let k = 1; k < page.words.length; k++) {
    const g = page.words[k].startMs - page.words[k - 1].endMs
    if (g > gap) [best, gap] = [page.words[k], g]
  }
  return gap > 0 ? best : page.words[Math.floor(page.words.length / 2)]
}

const at = (store: EditorStore, id: number, f: (i: number) => void) => {
  const i = store.index(id)
  if (i >= 0) f(i)
}

/** The reading checks, page by page, in order. */
export function readingChecks(pages: readonly Page[]): Finding[] {
  const found: Finding[] = []
  for (const page of pages) {
    const first = page.words[0]
    if (!first) continue
    const ms = Math.max(1, page.endMs - page.startMs)
    const cps = chars(page) / (ms / 1000)
    const split = page.words.length > 1 ? splitPoint(page) : undefined
    const splitFix = split && { label: 'Split the page', apply: (s: EditorStore) => at(s, split.id, (i) => s.splitPage(i)) }
    if (cps > READING.maxCharsPerSecond && page.words.length > 1) {
      found.push({ kind: 'fast', page: page.index, wordId: first.id, message: `${Math.round(cps)} characters a second (at most ${READING.maxCharsPerSecond} read well)`, fix: splitFix })
    }
    if (page.words.length > READING.maxWordsPerPage) {
      found.push({ kind: 'crowded', page: page.index, wordId: first.id, message: `${page.words.length} words on one page (${READING.maxWordsPerPage} at most read at a glance)`, fix: splitFix })
    }
    if (ms < READING.minPageMs) {
      found.push({
        kind: 'short',
        page: page.index,
        wordId: first.id,
        message: `on screen for ${(ms / 1000).toFixed(2)} s (under ${READING.minPageMs / 1000} s is too short to read)`,
        fix: page.index > 0 ? { label: 'Join with the page before', apply: (s) => at(s, first.id, (i) => s.mergePage(i)) } : undefined,
      })
    }
  }
  for (const page of pages) {
    page.words.forEach((w, k) => {
      const before = k > 0 ? page.words[k - 1] : pages[page.index - 1]?.words.at(-1)
      if (before && w.startMs < before.endMs) {
        found.push({
          kind: 'overlap',
          page: page.index,
          wordId: w.id,
          message: `“${w.text}” starts ${((before.endMs - w.startMs) / 1000).toFixed(2)} s before “${before.text}” ends`,
          fix: { label: 'End the word before earlier', apply: (s) => at(s, before.id, (i) => s.retime(i, before.startMs, Math.max(before.startMs + 20, w.startMs))) },
        })
      }
    })
  }
  return found.sort((a, b) => a.page - b.page)
}

/**
 * Pages at pauses: each pause of at least `pauseMs` starts a page, and every other break a
 * person set is taken away (the layout pages the rest by the style's rules). One undo step.
 */
export function repageAtPauses(store: EditorStore, pauseMs = READING.pauseMs): void {
  store.setPageBreaks((w, before) => (before && w.startMs - before.endMs >= pauseMs ? true : undefined), `new pages at pauses of ${pauseMs / 1000} s`)
}
