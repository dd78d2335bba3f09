import { describe, expect, it } from 'vitest'
import { paginate } from './pages'
import { doubtfulWords, nextOf, readingChecks, repageAtPauses } from './review'
import { EditorStore, type WireWord } from './store'

const noBreaks = { pages: new Set<number>(), lines: new Set<number>() }
const store = (words: WireWord[]) => new EditorStore({ language: 'en', words })
const pagesOf = (s: EditorStore) => paginate(s.words, noBreaks)

describe('review aids', () => {
  it('lists doubtful words and steps through them either way, wrapping', () => {
    const s = store([
      { text: 'a', start: 0, end: 0.2, confidence: 0.9 },
      { text: 'b', start: 0.2, end: 0.4, confidence: 0.3 },
      { text: 'c', start: 0.4, end: 0.6, confidence: 0.95 },
      { text: 'd', start: 0.6, end: 0.8, confidence: 0.1 },
    ])
    const ids = doubtfulWords(s.words)
    expect(ids).toEqual([s.words[1].id, s.words[3].id])
    expect(nextOf(ids, s.words, null)).toBe(s.words[1].id)
    expect(nextOf(ids, s.words, s.words[1].id)).toBe(s.words[3].id)
    expect(nextOf(ids, s.words, s.words[3].id)).toBe(s.words[1].id)
    expect(nextOf(ids, s.words, s.words[2].id, true)).toBe(s.words[1].id)
    expect(nextOf(ids, s.words, s.words[1].id, true)).toBe(s.words[3].id)
    expect(nextOf([], s.words, null)).toBeNull()
  })

  it('finds a page too fast to read and splits it at its longest pause', () => {
    // Seven long words in 1.2 s: ~55 characters a second, with a pause before "afterwards".
    const texts = ['Extraordinarily', 'complicated', 'sentences', 'arrive', 'afterwards', 'quickly', 'indeed']
    const s = store(texts.map((text, i) => ({ text, start: i * 0.15 + (i >= 4 ? 0.3 : 0), end: i * 0.15 + 0.14 + (i >= 4 ? 0.3 : 0) })))
    const fast = readingChecks(pagesOf(s)).filter((f) => f.kind === 'fast')
    expect(fast).toHaveLength(1)
    expect(fast[0].message).toMatch(/characters a second/)
    fast[0].fix!.apply(s)
    expect(s.words[4].pageBreak).toBe(true)
    expect(pagesOf(s).map((p) => p.words[0].text)).toEqual(['Extraordinarily', 'afterwards'])
    s.undo()
    expect(s.words.every((w) => w.pageBreak === undefined)).toBe(true)
  })

  it('finds a page too short to read and joins it to the one before', () => {
    const s = store([
      { text: 'Hello', start: 0, end: 0.5 },
      { text: 'there', start: 0.5, end: 1.0 },
      { text: 'Hi', start: 2.0, end: 2.2, page_break: true },
    ])
    const short = readingChecks(pagesOf(s)).filter((f) => f.kind === 'short')
    expect(short.map((f) => f.page)).toEqual([1])
    short[0].fix!.apply(s)
    expect(pagesOf(s)).toHaveLength(1)
  })

  it('finds overlapping words and ends the earlier one where the later starts', () => {
    const s = store([
      { text: 'one', start: 0, end: 0.9 },
      { text: 'two', start: 0.5, end: 1.0 },
    ])
    const overlap = readingChecks(pagesOf(s)).filter((f) => f.kind === 'overlap')
    expect(overlap).toHaveLength(1)
    expect(overlap[0].wordId).toBe(s.words[1].id)
    overlap[0].fix!.apply(s)
    expect([s.words[0].endMs, s.words[1].startMs]).toEqual([500, 500])
    expect(readingChecks(pagesOf(s)).filter((f) => f.kind === 'overlap')).toHaveLength(0)
  })

  it('re-pages at pauses in one undoable step, dropping other breaks', () => {
    const s = store([
      { text: 'a', start: 0, end: 0.2 },
      { text: 'b', start: 0.2, end: 0.4, page_break: true },
      { text: 'c', start: 1.4, end: 1.6 },
      { text: 'd', start: 1.6, end: 1.8, page_break: false },
    ])
    repageAtPauses(s)
    expect(s.words.map((w) => w.pageBreak)).toEqual([undefined, undefined, true, undefined])
    s.undo()
    expect(s.words.map((w) => w.pageBreak)).toEqual([undefined, true, undefined, false])
  })
})

describe('safe zones', async () => {
  const { captionBox, coveredPages, clearingMargins } = await import('./safezones')
  const s = store([
    { text: 'Hello', start: 0, end: 0.5 },
    { text: 'there', start: 0.5, end: 1.0 },
  ])
  const pages = pagesOf(s)

  it('places a page where the style puts it', () => {
    const bottom = captionBox(pages[0], { font_size: 5, position: 'bottom', margin_v: 10 }, 1080, 1920)
    expect(bottom.y + bottom.h).toBeCloseTo(0.9, 5)
    expect(bottom.x + bottom.w / 2).toBeCloseTo(0.5, 5)
    const top = captionBox(pages[0], { font_size: 5, position: 'top', margin_v: 10, align: 'left', margin_h: 5 }, 1080, 1920)
    expect([top.y, top.x]).toEqual([0.1, 0.05])
  })

  it('warns of pages under an app’s interface, and a margin that clears it does not', () => {
    const low = { font_size: 5, position: 'bottom' as const, margin_v: 8 }
    expect(coveredPages(pages, low, 'tiktok', 1080, 1920)).toEqual([{ page: 0, wordId: s.words[0].id, area: 'caption and sound' }])
    const clear = clearingMargins(low, 'tiktok')
    expect(clear).toEqual({ margin_v: 22, margin_h: 16 })
    expect(coveredPages(pages, { ...low, ...clear }, 'tiktok', 1080, 1920)).toEqual([])
    expect(coveredPages(pages, { ...low, margin_v: 30 }, 'reels', 1080, 1920)).toEqual([])
    expect(clearingMargins({ position: 'middle', margin_v: 5, margin_h: 20 }, 'shorts')).toEqual({ margin_v: 5, margin_h: 20 })
    // A line wide enough to reach the button column is warned of where the bars are clear.
    const wide = store([{ text: 'x'.repeat(40), start: 0, end: 1 }])
    expect(coveredPages(pagesOf(wide), { font_size: 5, position: 'bottom', margin_v: 30 }, 'tiktok', 1080, 1920)[0].area).toBe('buttons')
  })
})
