// Times from the audio for words a person wrote. An edit (new text, a split, an insertion) can
// only estimate its words' times from the text; a moment later the aligner sends each changed
// stretch — the edited words and two words either side, which anchor it — to the server's
// forced alignment (`POST /api/projects/{id}/alignments`, run by a worker's speech engine), and
// the words that are still as they were sent take the times it finds. Where the server's engine
// cannot align text the estimate stays.

import type { EditorStore, Estimate, Word } from './store'

/** Words either side of the edited ones sent along as anchors. */
export const CONTEXT_WORDS = 2
/** Room around the stretch's words, so their first and last sounds are inside it. */
const MARGIN_MS = 200
/** The server's bounds for one alignment (`cofee_core::limits`). */
export const MAX_ALIGN_WORDS = 64
export const MAX_ALIGN_MS = 28_000
export const MIN_ALIGN_MS = 100
/** After the last edit, before asking: typing goes on in bursts. */
const SETTLE_MS = 1200
const POLL_MS = 600
const POLL_TRIES = 100

export type Stretch = { words: Word[]; fromMs: number; toMs: number }
export type AlignedWord = { text: string; start_ms: number; end_ms: number }

/** What the aligner needs from the API (the editor passes the real calls; tests pass their own). */
export type AlignmentApi = {
  /** Queues an alignment; the job's id, or null when refused. */
  request(s: { from_ms: number; duration_ms: number; words: string[]; language?: string | null }): Promise<string | null>
  /** Where it stands: `words` once it ran (null: the engine cannot align). */
  result(job: string): Promise<{ state: string; words?: AlignedWord[] | null } | null>
}

/** A word the server takes (`POST /api/projects/{id}/alignments`): 1 to 100 characters, no spaces or control characters. */
const sendable = (w: Word) => [...w.text].length >= 1 && [...w.text].length <= 100 && !/[\s\p{Cc}]/u.test(w.text)

/**
 * The stretches to align for the edited words `edited` of `words`: runs of edited words (those
 * within two anchors of each other go together) with their anchors, each within the server's
 * bounds (a long run goes in consecutive windows; a word that alone is too long stays as it is).
 */
export function stretches(words: readonly Word[], edited: Iterable<Word>): Stretch[] {
  const at = new Map(words.map((w, i) => [w.id, i]))
  const marked = [...new Set([...edited].map((w) => at.get(w.id)).filter((i): i is number => i !== undefined))].sort((a, b) => a - b)
  const groups: number[][] = []
  for (const i of marked) {
    const g = groups.at(-1)
    if (g && i - g[g.length - 1] <= 2 * CONTEXT_WORDS) g.push(i)
    else groups.push([i])
  }
  const make = (first: number, last: number): Stretch | null => {
    const lo = Math.max(0, first - CONTEXT_WORDS)
    const hi = Math.min(words.length - 1, last + CONTEXT_WORDS)
    const fromMs = Math.max(0, words[lo].startMs - MARGIN_MS)
    const toMs = words[hi].endMs + MARGIN_MS
    if (hi - lo + 1 > MAX_ALIGN_WORDS || toMs - fromMs > MAX_ALIGN_MS || toMs - fromMs < MIN_ALIGN_MS) return null
    const span = words.slice(lo, hi + 1)
    return span.every(sendable) ? { words: span, fromMs, toMs } : null
  }
  const out: Stretch[] = []
  for (const g of groups) {
    // The longest window from each edited word on that the server takes.
    let k = 0
    while (k < g.length) {
      let end = k
      while (end + 1 < g.length && make(g[k], g[end + 1])) end++
      const s = make(g[k], g[end])
      if (s) out.push(s)
      k = end + 1
    }
  }
  return out
}

export class Aligner {
  private timer: ReturnType<typeof setTimeout> | undefined
  private unsubscribe: () => void
  private stopped = false

  constructor(
    private store: EditorStore,
    private api: AlignmentApi,
    private wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.unsubscribe = store.subscribe(() => this.changed())
  }

  private changed(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.run(), SETTLE_MS)
  }

  /** Sends what was edited since the last run, one stretch after another, and applies what comes back. */
  async run(): Promise<void> {
    const estimate = this.store.takeEstimated()
    if (estimate.words.length === 0) return
    const edited = new Set(estimate.words)
    for (const s of stretches(this.store.words, estimate.words)) {
      if (this.stopped) return
      await this.align(s, estimate, edited)
    }
  }

  private async align(s: Stretch, estimate: Estimate, edited: Set<Word>): Promise<void> {
    let job: string | null
    try {
      job = await this.api.request({ from_ms: s.fromMs, duration_ms: s.toMs - s.fromMs, words: s.words.map((w) => w.text), language: this.store.language })
    } catch {
      return // offline: the estimate stays
    }
    if (!job) return
    for (let tries = 0; tries < POLL_TRIES && !this.stopped; tries++) {
      await this.wait(POLL_MS)
      let r: Awaited<ReturnType<AlignmentApi['result']>>
      try {
        r = await this.api.result(job)
      } catch {
        continue
      }
      if (!r || r.state === 'dead' || r.state === 'cancelled') return
      if (r.state !== 'succeeded') continue
      const words = r.words
      if (!words || words.length !== s.words.length || this.stopped) return
      const times = s.words.map((word, k) => ({ word, startMs: words[k].start_ms, endMs: words[k].end_ms }))
      this.store.timesFromAudio(estimate, times.filter((t) => edited.has(t.word)))
      return
    }
  }

  dispose(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.unsubscribe()
  }
}
