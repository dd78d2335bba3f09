// The editor's one store. Its source of truth is the word-level captions document (Cofee word
// JSON: words with their times); everything else the editor shows — pages, the timeline, the
// preview — is derived from it. Every change is one step in the history (undo/redo, 500 steps;
// a burst of typing in one word is one step). Words the person did not touch keep their times.
//
// Plain TypeScript (no UI framework), so it is unit-tested on its own; the UI subscribes.

export type Word = {
  /** Stable within this editing session (not saved): keys the UI and the page map. */
  id: number
  text: string
  startMs: number
  endMs: number
  confidence: number
  emphasis?: boolean
  /** A person's page break: true starts a caption page here, false keeps the word on the page before. */
  pageBreak?: boolean
  /** A person's colour for the word (`#RRGGBB`). */
  color?: string
  /** A space before the word where the script rule would say otherwise (kept as read). */
  spaceBefore?: boolean
  /** An emoji shown above the page from the moment the word is spoken (one of `GET /api/emoji`). */
  emoji?: string
}

export type WireWord = { text: string; start: number; end: number; confidence?: number; emphasis?: boolean; page_break?: boolean; color?: string | null; space_before?: boolean; emoji?: string | null }
export type WireDocument = { language?: string | null; words: WireWord[] }

/** The shortest a word may be made by hand. */
export const MIN_WORD_MS = 20
const HISTORY = 500
/** Typing in one word within this long of the last keystroke is the same step. */
const BURST_MS = 1500

let nextId = 1
const newId = () => nextId++

export function fromWire(doc: WireDocument): Word[] {
  return doc.words.map((w) => ({
    id: newId(),
    text: w.text,
    startMs: Math.round(w.start * 1000),
    endMs: Math.round(w.end * 1000),
    confidence: w.confidence ?? 1,
    ...(w.emphasis === undefined ? {} : { emphasis: w.emphasis }),
    ...(w.page_break === undefined ? {} : { pageBreak: w.page_break }),
    ...(w.color == null ? {} : { color: w.color }),
    ...(w.space_before === undefined ? {} : { spaceBefore: w.space_before }),
    ...(w.emoji == null ? {} : { emoji: w.emoji }),
  }))
}

export function toWire(words: readonly Word[], language?: string | null): WireDocument {
  return {
    ...(language ? { language } : {}),
    words: words.map((w) => ({
      text: w.text,
      start: w.startMs / 1000,
      end: w.endMs / 1000,
      confidence: w.confidence,
      ...(w.emphasis === undefined ? {} : { emphasis: w.emphasis }),
      ...(w.pageBreak === undefined ? {} : { page_break: w.pageBreak }),
      ...(w.color === undefined ? {} : { color: w.color }),
      ...(w.spaceBefore === undefined ? {} : { space_before: w.spaceBefore }),
      ...(w.emoji === undefined ? {} : { emoji: w.emoji }),
    })),
  }
}

/**
 * `w` without a page break, spacing or emoji of its own: a part split off a word does not start a
 * page, and the word's emoji stays with its first part.
 */
function continuing(w: Word): Word {
  const { pageBreak: _, spaceBefore: __, emoji: ___, ...rest } = w
  return rest
}

type Step = { label: string; before: readonly Word[]; after: readonly Word[]; burst?: string; at: number }

/** Words whose times an edit estimated, and the step of history that edit made. */
export type Estimate = { words: Word[]; step: object | undefined }

/** Splits `[from, to)` among `texts` in proportion to their length (as the server does). */
function share(texts: string[], from: number, to: number): [number, number][] {
  const weights = texts.map((t) => [...t].length + 1)
  const total = weights.reduce((a, b) => a + b, 0)
  let acc = 0
  return weights.map((w) => {
    const s = from + Math.round(((to - from) * acc) / total)
    acc += w
    return [s, from + Math.round(((to - from) * acc) / total)]
  })
}

const tokens = (text: string) => text.split(/\s+/).filter(Boolean)

export class EditorStore {
  private current: readonly Word[]
  private past: Step[] = []
  private future: Step[] = []
  private listeners = new Set<() => void>()
  /** Words whose times an edit estimated (from the text alone), for `Aligner` to time from the audio. */
  private estimated = new Set<number>()
  language: string | null

  constructor(doc: WireDocument = { words: [] }) {
    this.current = fromWire(doc)
    this.language = doc.language ?? null
  }

  get words(): readonly Word[] {
    return this.current
  }

  get canUndo(): boolean {
    return this.past.length > 0
  }

  get canRedo(): boolean {
    return this.future.length > 0
  }

  /** What the next undo would undo (for the button's title). */
  get undoLabel(): string | undefined {
    return this.past.at(-1)?.label
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(): void {
    for (const l of this.listeners) l()
  }

  /** Replaces the whole document (a load, or the server's version after a conflict): not undoable. */
  load(doc: WireDocument): void {
    this.current = fromWire(doc)
    this.language = doc.language ?? null
    this.past = []
    this.future = []
    this.emit()
  }

  /** The document as it is now. */
  document(): WireDocument {
    return toWire(this.current, this.language)
  }

  /**
   * The words whose times edits estimated since the last call, as they are now, and the history
   * step they are in (see `timesFromAudio`).
   */
  takeEstimated(): Estimate {
    const words = [...this.estimated].map((id) => this.current[this.index(id)]).filter((w): w is Word => w !== undefined)
    this.estimated.clear()
    return { words, step: this.past.at(-1) }
  }

  /**
   * Times from the audio for words an edit timed by estimate: each word still exactly as it was
   * when its times were asked for (not edited, moved or undone since) takes them. They complete
   * the edit they belong to (undone with it) while that is still the last step; after other
   * edits they are a step of their own.
   */
  timesFromAudio(estimate: Estimate, times: readonly { word: Word; startMs: number; endMs: number }[]): boolean {
    let after: Word[] | null = null
    const placed = times
      .map((t) => ({ ...t, i: this.index(t.word.id) }))
      .filter((t) => t.i >= 0 && this.current[t.i] === t.word)
      .sort((a, b) => a.i - b.i)
    for (const t of placed) {
      const words = after ?? this.current
      // Kept between its neighbours as they stand (words the person left alone keep theirs).
      const lo = words[t.i - 1]?.endMs ?? 0
      const next = placed.find((p) => p.i === t.i + 1)
      const hi = next ? next.startMs : (words[t.i + 1]?.startMs ?? Number.POSITIVE_INFINITY)
      const s = Math.round(Math.max(lo, t.startMs))
      const e = Math.round(Math.min(hi, t.endMs))
      if (e - s < MIN_WORD_MS || (s === t.word.startMs && e === t.word.endMs)) continue
      after ??= [...this.current]
      after[t.i] = { ...t.word, startMs: s, endMs: e }
    }
    if (!after) return false
    const last = this.past.at(-1)
    if (last && last === estimate.step && last.after === this.current) {
      last.after = after
      this.current = after
      this.emit()
    } else {
      this.commit('times from the audio', after)
    }
    return true
  }

  private commit(label: string, after: Word[], burst?: string): void {
    const now = Date.now()
    const last = this.past.at(-1)
    if (burst && last?.burst === burst && now - last.at < BURST_MS) {
      last.after = after
      last.at = now
    } else {
      this.past.push({ label, before: this.current, after, burst, at: now })
      if (this.past.length > HISTORY) this.past.shift()
    }
    this.future = []
    this.current = after
    this.emit()
  }

  undo(): boolean {
    const step = this.past.pop()
    if (!step) return false
    this.future.push(step)
    this.current = step.before
    this.emit()
    return true
  }

  redo(): boolean {
    const step = this.future.pop()
    if (!step) return false
    this.past.push(step)
    this.current = step.after
    this.emit()
    return true
  }

  index(id: number): number {
    return this.current.findIndex((w) => w.id === id)
  }

  /**
   * Sets a word's text. Text with spaces is the word split into several, sharing its time in
   * proportion to their length; empty text deletes it. Typing in one word is one undo step.
   */
  setText(i: number, text: string): void {
    const w = this.current[i]
    if (!w) return
    const parts = tokens(text)
    if (parts.length === 0) return this.remove(i)
    if (parts.length === 1 && parts[0] === w.text) return
    const spans = share(parts, w.startMs, w.endMs)
    const replaced = parts.map((t, k) => ({
      ...(k === 0 ? w : continuing(w)),
      id: k === 0 ? w.id : newId(),
      text: t,
      startMs: spans[k][0],
      endMs: spans[k][1],
      confidence: 1,
    }))
    const after = [...this.current.slice(0, i), ...replaced, ...this.current.slice(i + 1)]
    for (const r of replaced) this.estimated.add(r.id)
    this.commit(`edit “${w.text}”`, after, parts.length === 1 ? `text:${w.id}` : undefined)
  }

  /** Splits word `i` before character `at`: the two parts share its time. */
  split(i: number, at: number): void {
    const w = this.current[i]
    const chars = w ? [...w.text] : []
    if (!w || at <= 0 || at >= chars.length) return
    const parts = [chars.slice(0, at).join(''), chars.slice(at).join('')]
    const [[s1, e1], [s2, e2]] = share(parts, w.startMs, w.endMs)
    const after = [
      ...this.current.slice(0, i),
      { ...w, text: parts[0], startMs: s1, endMs: e1 },
      { ...continuing(w), id: newId(), text: parts[1], startMs: s2, endMs: e2 },
      ...this.current.slice(i + 1),
    ]
    this.estimated.add(after[i].id).add(after[i + 1].id)
    this.commit(`split “${w.text}”`, after)
  }

  /** Merges word `i` with the next one: one word spanning both. */
  mergeWithNext(i: number): void {
    const [a, b] = [this.current[i], this.current[i + 1]]
    if (!a || !b) return
    const joined = { ...a, text: a.text + b.text, endMs: Math.max(a.endMs, b.endMs), confidence: Math.min(a.confidence, b.confidence) }
    this.commit(`merge “${a.text}” and “${b.text}”`, [...this.current.slice(0, i), joined, ...this.current.slice(i + 2)])
  }

  /**
   * Inserts a word after word `i` (`-1`: at the start), timed in the pause after it; with no
   * pause, it shares the word's span — never the time of a neighbour the person left alone.
   */
  insertAfter(i: number, text = '…'): number {
    const prev = this.current[i]
    const next = this.current[i + 1]
    const from = prev ? prev.endMs : 0
    const to = next ? next.startMs : from + 400
    let word: Word
    let after: Word[]
    if (to - from >= MIN_WORD_MS * 2 || !prev) {
      word = { id: newId(), text, startMs: from, endMs: Math.max(to, from + MIN_WORD_MS), confidence: 1 }
      after = [...this.current.slice(0, i + 1), word, ...this.current.slice(i + 1)]
    } else {
      const [[s1, e1], [s2, e2]] = share([prev.text, text], prev.startMs, prev.endMs)
      word = { id: newId(), text, startMs: s2, endMs: e2, confidence: 1 }
      after = [...this.current.slice(0, i), { ...prev, startMs: s1, endMs: e1 }, word, ...this.current.slice(i + 1)]
    }
    this.estimated.add(word.id)
    if (prev && after[i] !== prev) this.estimated.add(prev.id)
    this.commit(`insert “${text}”`, after)
    return word.id
  }

  /** Deletes word `i`; its time becomes a pause, and a page break on it moves to the next word. */
  remove(i: number): void {
    const w = this.current[i]
    if (!w) return
    const after = [...this.current.slice(0, i), ...this.current.slice(i + 1)]
    const next = after[i]
    if (w.pageBreak === true && next) after[i] = { ...next, pageBreak: true }
    this.commit(`delete “${w.text}”`, after)
  }

  /** Starts a new caption page at word `i` (the words before it stay on theirs). */
  splitPage(i: number): void {
    const w = this.current[i]
    if (!w || i === 0 || w.pageBreak === true) return
    const after = [...this.current]
    after[i] = { ...w, pageBreak: true }
    this.commit(`new page at “${w.text}”`, after)
  }

  /**
   * Marks words `i..=j` as emphasised (the style's emphasis colour and size), or, when every one
   * of them is marked already, takes the marks away so the style's own rules (numbers,
   * keywords) decide again. One step.
   */
  toggleEmphasis(i: number, j = i): void {
    const [lo, hi] = [Math.min(i, j), Math.max(i, j)]
    const chosen = this.current.slice(lo, hi + 1)
    if (chosen.length === 0) return
    const unmark = chosen.every((w) => w.emphasis === true)
    const after = [...this.current]
    for (let k = lo; k <= hi; k++) {
      const { emphasis: _, ...unmarked } = after[k]
      after[k] = unmark ? unmarked : { ...after[k], emphasis: true }
    }
    const what = chosen.length === 1 ? `“${chosen[0].text}”` : `${chosen.length} words`
    this.commit(unmark ? `no emphasis on ${what}` : `emphasise ${what}`, after)
  }

  /** Gives words `i..=j` a colour of their own (`#RRGGBB`), or takes it away (`undefined`). */
  setColor(i: number, color: string | undefined, j = i): void {
    const [lo, hi] = [Math.min(i, j), Math.max(i, j)]
    const chosen = this.current.slice(lo, hi + 1)
    if (chosen.length === 0 || chosen.every((w) => w.color === color)) return
    const after = [...this.current]
    for (let k = lo; k <= hi; k++) {
      const { color: _, ...plain } = after[k]
      after[k] = color === undefined ? plain : { ...after[k], color }
    }
    const what = chosen.length === 1 ? `“${chosen[0].text}”` : `${chosen.length} words`
    this.commit(color === undefined ? `no colour on ${what}` : `colour ${what}`, after, `color:${chosen[0].id}:${chosen.length}`)
  }

  /** Puts an emoji on word `i` (shown above its page from the word on), or takes it away. */
  setEmoji(i: number, emoji: string | undefined): void {
    const w = this.current[i]
    if (!w || w.emoji === emoji) return
    const after = [...this.current]
    const { emoji: _, ...plain } = w
    after[i] = emoji === undefined ? plain : { ...w, emoji }
    this.commit(emoji === undefined ? `no emoji on “${w.text}”` : `${emoji} on “${w.text}”`, after)
  }

  /**
   * Gives each page of `pages` without an emoji the emoji `suggest` finds for one of its words
   * (the first that has one), as one step; the number of emoji added.
   */
  suggestEmoji(pages: readonly (readonly Word[])[], suggest: (text: string) => string | undefined): number {
    const index = new Map(this.current.map((w, i) => [w.id, i]))
    const after = [...this.current]
    let added = 0
    for (const page of pages) {
      if (page.some((w) => w.emoji !== undefined)) continue
      for (const w of page) {
        const emoji = suggest(w.text)
        const i = index.get(w.id)
        if (emoji === undefined || i === undefined) continue
        after[i] = { ...after[i], emoji }
        added++
        break
      }
    }
    if (added > 0) this.commit(`${added} emoji from the words`, after)
    return added
  }

  /**
   * Sets every word's page break from `rule(word, wordBefore)` (`true` starts a page, `false`
   * joins it to the page before, `undefined` leaves it to the layout), as one step.
   */
  setPageBreaks(rule: (w: Word, before: Word | undefined) => boolean | undefined, label: string): void {
    let changed = false
    const after = this.current.map((w, i) => {
      const pageBreak = i === 0 ? undefined : rule(w, this.current[i - 1])
      if (pageBreak === w.pageBreak) return w
      changed = true
      const { pageBreak: _, ...rest } = w
      return pageBreak === undefined ? rest : { ...w, pageBreak }
    })
    if (changed) this.commit(label, after)
  }

  /** Joins the page that starts at word `i` to the page before it. */
  mergePage(i: number): void {
    const w = this.current[i]
    if (!w || i === 0 || w.pageBreak === false) return
    const after = [...this.current]
    after[i] = { ...w, pageBreak: false }
    this.commit(`join the page at “${w.text}” to the one before`, after)
  }

  /**
   * Re-times word `i` to `[startMs, endMs)`, kept between its neighbours (no overlaps) and at
   * least [`MIN_WORD_MS`] long. Dragging calls this many times as one step (`burst`).
   */
  retime(i: number, startMs: number, endMs: number, burst?: string): void {
    const w = this.current[i]
    if (!w) return
    const lo = this.current[i - 1]?.endMs ?? 0
    const hi = this.current[i + 1]?.startMs ?? Number.POSITIVE_INFINITY
    let s = Math.round(Math.max(lo, startMs))
    let e = Math.round(Math.min(hi, endMs))
    if (e - s < MIN_WORD_MS) {
      if (startMs !== w.startMs) s = Math.max(lo, e - MIN_WORD_MS)
      else e = Math.min(hi, s + MIN_WORD_MS)
    }
    if (e - s < MIN_WORD_MS || (s === w.startMs && e === w.endMs)) return
    const after = [...this.current]
    after[i] = { ...w, startMs: s, endMs: e }
    this.estimated.delete(w.id) // the person's own timing: not for the audio to override
    this.commit(`re-time “${w.text}”`, after, burst)
  }

  /** Moves word `i` by `deltaMs`, keeping its length, between its neighbours. */
  move(i: number, deltaMs: number, burst?: string): void {
    const w = this.current[i]
    if (!w) return
    const lo = this.current[i - 1]?.endMs ?? 0
    const hi = this.current[i + 1]?.startMs ?? Number.POSITIVE_INFINITY
    const len = w.endMs - w.startMs
    const s = Math.min(Math.max(lo, w.startMs + deltaMs), hi - len)
    if (s < lo) return
    this.retime(i, s, s + len, burst ?? `move:${w.id}`)
  }

  /** Replaces every whole-word match of `find` (case-insensitive unless asked); returns how many. */
  replaceAll(find: string, replacement: string, matchCase = false): number {
    // The rule of `cofee_core::replace`, which later transcriptions apply: edges that are not
    // letters or digits are set aside (a word of punctuation alone is compared whole), in the
    // words and in what is looked for.
    const strip = (t: string) => t.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '') || t
    const fold = (t: string) => (matchCase ? t : t.toLocaleLowerCase())
    if (!find.trim()) return 0
    const needle = fold(strip(find.trim()))
    let count = 0
    const out: Word[] = []
    // The page break of a word replaced by nothing goes to the next word.
    let carried: boolean | undefined
    for (const w of this.current) {
      const core = strip(w.text)
      if (fold(core) !== needle) {
        out.push(carried === undefined || w.pageBreak !== undefined ? w : { ...w, pageBreak: carried })
        carried = undefined
        continue
      }
      count++
      const parts = tokens(w.text.replace(core, () => replacement))
      if (parts.length === 0) {
        carried ??= w.pageBreak
        continue
      }
      const spans = share(parts, w.startMs, w.endMs)
      const first = w.pageBreak ?? carried
      carried = undefined
      parts.forEach((t, k) => {
        const base = k === 0 ? { ...continuing(w), ...(first === undefined ? {} : { pageBreak: first }) } : continuing(w)
        out.push({ ...base, id: k === 0 ? w.id : newId(), text: t, startMs: spans[k][0], endMs: spans[k][1], confidence: 1 })
      })
    }
    if (count > 0) this.commit(`replace “${find}” with “${replacement}”`, out)
    return count
  }

  /** The word being spoken at `ms`, or the last one before it. */
  wordAt(ms: number): number {
    let lo = 0
    let hi = this.current.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.current[mid].startMs <= ms) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }
}
