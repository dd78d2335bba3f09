import { describe, expect, it } from 'vitest'
import { paginate } from './pages'
import { EditorStore, type WireDocument } from './store'

const doc = (): WireDocument => ({
  language: 'en',
  words: [
    { text: 'The', start: 0.0, end: 0.3 },
    { text: 'quick', start: 0.3, end: 0.7 },
    { text: 'brown', start: 0.7, end: 1.1 },
    { text: 'fox.', start: 2.0, end: 2.4 },
  ],
})

const times = (s: EditorStore) => s.words.map((w) => [w.text, w.startMs, w.endMs])

describe('the editor store', () => {
  it('emphasises a run of words in one step, and takes the marks away when all have them', () => {
    const s = new EditorStore(doc())
    s.toggleEmphasis(1, 2)
    expect(s.words.map((w) => w.emphasis)).toEqual([undefined, true, true, undefined])
    s.toggleEmphasis(3, 1) // either order; not all marked yet: all marked
    expect(s.words.map((w) => w.emphasis)).toEqual([undefined, true, true, true])
    s.toggleEmphasis(1, 3)
    expect(s.words.every((w) => w.emphasis === undefined)).toBe(true)
    s.undo()
    s.undo()
    expect(s.words.map((w) => w.emphasis)).toEqual([undefined, true, true, undefined])
    s.setColor(0, '#00FF00', 3)
    expect(s.words.every((w) => w.color === '#00FF00')).toBe(true)
  })

  it('puts an emoji on a word, keeps it on the first part of a split, and adds emoji from the words, one per page', () => {
    const s = new EditorStore({ words: [{ text: 'so', start: 0, end: 0.2, emoji: '🔥' }, { text: 'hot', start: 0.2, end: 0.5 }, { text: 'money', start: 1, end: 1.4 }, { text: 'cash', start: 1.4, end: 1.8 }] })
    expect(s.words[0].emoji).toBe('🔥')
    s.setEmoji(0, undefined)
    s.setEmoji(1, '💯')
    expect(s.document().words.map((w) => w.emoji)).toEqual([undefined, '💯', undefined, undefined])
    expect('emoji' in s.document().words[0]).toBe(false)
    s.undo()
    s.undo()
    expect(s.words[0].emoji).toBe('🔥')
    // Pages [so hot] (has an emoji) and [money cash]: only the second gets one, on its first suited word.
    const suggest = (t: string) => ({ hot: '🔥', money: '💰', cash: '💵' })[t]
    const pages = [s.words.slice(0, 2), s.words.slice(2)]
    expect(s.suggestEmoji(pages, suggest)).toBe(1)
    expect(s.words.map((w) => w.emoji)).toEqual(['🔥', undefined, '💰', undefined])
    expect(s.suggestEmoji(pages.map((p) => p.map((w) => s.words.find((x) => x.id === w.id)!)), suggest)).toBe(0)
    s.undo()
    expect(s.words[2].emoji).toBeUndefined()
    s.split(0, 1)
    expect(s.words.slice(0, 2).map((w) => [w.text, w.emoji])).toEqual([['s', '🔥'], ['o', undefined]])
  })

  it('gives a word a colour of its own, saved with it, and takes it away; one undo step each', () => {
    const s = new EditorStore({ words: [{ text: 'red', start: 0, end: 0.5, color: '#FF0000' }, { text: 'plain', start: 0.5, end: 1 }] })
    expect(s.words[0].color).toBe('#FF0000')
    s.setColor(1, '#00FF00')
    s.setColor(0, undefined)
    expect(s.document().words.map((w) => w.color)).toEqual([undefined, '#00FF00'])
    expect('color' in s.document().words[0]).toBe(false)
    s.undo()
    expect(s.document().words.map((w) => w.color)).toEqual(['#FF0000', '#00FF00'])
  })

  it('edits a word in place and keeps every other time', () => {
    const s = new EditorStore(doc())
    s.setText(1, 'quiet')
    expect(times(s)).toEqual([['The', 0, 300], ['quiet', 300, 700], ['brown', 700, 1100], ['fox.', 2000, 2400]])
    expect(s.words[1].confidence).toBe(1)
  })

  it('splits a word in two sharing its span, and merges two into one spanning both', () => {
    const s = new EditorStore(doc())
    s.split(2, 3) // bro|wn
    expect(times(s).slice(2, 4)).toEqual([['bro', 700, 929], ['wn', 929, 1100]])
    expect(times(s)[4]).toEqual(['fox.', 2000, 2400])
    s.mergeWithNext(2)
    expect(times(s)[2]).toEqual(['brown', 700, 1100])
    expect(s.words.length).toBe(4)
  })

  it('typing a space in a word splits it; emptying a word deletes it', () => {
    const s = new EditorStore(doc())
    s.setText(0, 'The very')
    expect(s.words.map((w) => w.text)).toEqual(['The', 'very', 'quick', 'brown', 'fox.'])
    expect(s.words[1].endMs).toBe(300)
    s.setText(1, '')
    expect(s.words.map((w) => w.text)).toEqual(['The', 'quick', 'brown', 'fox.'])
  })

  it('inserts a word in the pause after one, or shares a changed word’s span when there is none', () => {
    const s = new EditorStore(doc())
    s.insertAfter(2, 'red')
    expect(times(s)[3]).toEqual(['red', 1100, 2000])
    s.insertAfter(0, 'very')
    expect(times(s).slice(0, 3)).toEqual([['The', 0, 133], ['very', 133, 300], ['quick', 300, 700]])
  })

  it('deletes a word and leaves its time as a pause', () => {
    const s = new EditorStore(doc())
    s.remove(1)
    expect(times(s)).toEqual([['The', 0, 300], ['brown', 700, 1100], ['fox.', 2000, 2400]])
  })

  it('re-times between neighbours, never overlapping them, never shorter than 20 ms', () => {
    const s = new EditorStore(doc())
    s.retime(2, 500, 1500)
    expect(times(s)[2]).toEqual(['brown', 700, 1500])
    s.retime(2, 1490, 1495)
    expect(times(s)[2]).toEqual(['brown', 1475, 1495])
    s.move(3, -10_000)
    expect(times(s)[3]).toEqual(['fox.', 1495, 1895])
  })

  it('undoes and redoes every step, at least two hundred of them', () => {
    const s = new EditorStore(doc())
    const original = times(s)
    for (let k = 1; k <= 250; k++) s.retime(3, 2000 + k, 2400 + k)
    expect(s.words[3].startMs).toBe(2250)
    for (let k = 0; k < 250; k++) expect(s.undo()).toBe(true)
    expect(times(s)).toEqual(original)
    expect(s.undo()).toBe(false)
    s.redo()
    expect(s.words[3].startMs).toBe(2001)
    s.setText(0, 'A')
    expect(s.canRedo).toBe(false)
  })

  it('a burst of typing in one word is one step; a drag in one burst is one step', () => {
    const s = new EditorStore(doc())
    for (const t of ['q', 'qu', 'qui', 'quie', 'quiet']) s.setText(1, t)
    s.retime(2, 800, 1100, 'drag')
    s.retime(2, 900, 1100, 'drag')
    s.undo()
    expect(times(s)[2]).toEqual(['brown', 700, 1100])
    s.undo()
    expect(s.words[1].text).toBe('quick')
    expect(s.canUndo).toBe(false)
  })

  it('replaces whole words, keeping punctuation and times', () => {
    const s = new EditorStore(doc())
    expect(s.replaceAll('FOX', 'cat')).toBe(1)
    expect(times(s)[3]).toEqual(['cat.', 2000, 2400])
    expect(s.replaceAll('brow', 'x')).toBe(0)
    const dashes = new EditorStore({ words: [{ text: '--', start: 0, end: 0.2 }, { text: 'so', start: 0.2, end: 0.4 }] })
    expect(dashes.replaceAll('--', '—')).toBe(1)
    expect(dashes.words[0].text).toBe('—')
    // What is looked for loses its edge punctuation as the words do; `$&` is only text.
    const s2 = new EditorStore(doc())
    expect(s2.replaceAll('fox,', '$& cat')).toBe(1)
    expect(s2.words.map((w) => w.text)).toEqual(['The', 'quick', 'brown', '$&', 'cat.'])
    // A page that starts at a word replaced by nothing starts at the next one.
    const s3 = new EditorStore(doc())
    s3.splitPage(2)
    s3.replaceAll('brown', '')
    expect(s3.words.map((w) => [w.text, w.pageBreak])).toEqual([['The', undefined], ['quick', undefined], ['fox.', true]])
    s.undo()
    expect(s.words[3].text).toBe('fox.')
  })

  it('splits a page at a word and joins it back, saved as page breaks on the words', () => {
    const s = new EditorStore(doc())
    // A layout that put every word on one page.
    const one = { pages: new Set([s.words[0].id]), lines: new Set<number>() }
    const texts = () => paginate(s.words, one).map((p) => p.words.map((w) => w.text).join(' '))
    s.splitPage(2)
    expect(texts()).toEqual(['The quick', 'brown fox.'])
    expect(s.document().words.map((w) => w.page_break)).toEqual([undefined, undefined, true, undefined])
    s.split(2, 3) // the part split off "brown" does not start a page of its own
    expect(texts()).toEqual(['The quick', 'bro wn fox.'])
    s.undo()
    // The server's layout broke before "fox."; a join keeps it on the page before.
    const server = { pages: new Set([s.words[0].id, s.words[3].id]), lines: new Set<number>() }
    const lines = () => paginate(s.words, server).map((p) => p.lines.map((l) => l.map((w) => w.text).join(' ')))
    expect(lines()).toEqual([['The quick'], ['brown'], ['fox.']])
    s.mergePage(3)
    expect(lines()).toEqual([['The quick'], ['brown', 'fox.']])
    expect(s.document().words[3].page_break).toBe(false)
    // Deleting the word a page starts at keeps the page: the break moves to the next word.
    s.remove(2)
    expect(s.words[2].pageBreak).toBe(true)
    expect(lines()).toEqual([['The quick'], ['fox.']])
    s.undo()
    s.undo()
    s.undo()
    expect(s.document().words.every((w) => w.page_break === undefined)).toBe(true)
  })

  it('cuts provisional pages before a layout has come, never one page of everything', () => {
    const words = new EditorStore({ words: Array.from({ length: 30 }, (_, i) => ({ text: 'w', start: i * 0.3, end: i * 0.3 + 0.25 })) }).words
    const pages = paginate(words, { pages: new Set(), lines: new Set() })
    expect(pages.map((p) => p.words.length)).toEqual([8, 8, 8, 6])
    expect(paginate(new EditorStore(doc()).words, { pages: new Set(), lines: new Set() }).map((p) => p.words.length)).toEqual([3, 1])
  })

  it('round-trips the wire document and finds the word at a time', () => {
    const s = new EditorStore(doc())
    expect(s.document()).toEqual({ language: 'en', words: doc().words.map((w) => ({ ...w, confidence: 1 })) })
    expect([s.wordAt(0), s.wordAt(350), s.wordAt(1500), s.wordAt(9000)]).toEqual([0, 1, 2, 3])
  })
})
