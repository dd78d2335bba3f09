import { describe, expect, it } from 'vitest'
import { Aligner, type AlignmentApi, type AlignedWord, stretches } from './alignment'
import { EditorStore, type WireDocument } from './store'

const doc = (n: number, msEach = 300): WireDocument => ({
  language: 'en',
  words: Array.from({ length: n }, (_, i) => ({ text: `w${i}`, start: (i * msEach) / 1000, end: ((i + 1) * msEach) / 1000 })),
})

const times = (s: EditorStore) => s.words.map((w) => [w.text, w.startMs, w.endMs])

/** An API that answers as the server does: queued, then the times it was given for the words. */
function server(timesFor: (words: string[], from: number, to: number) => AlignedWord[] | null) {
  const asked: { from_ms: number; duration_ms: number; words: string[] }[] = []
  const jobs = new Map<string, { polls: number; words: AlignedWord[] | null }>()
  const api: AlignmentApi = {
    async request(s) {
      asked.push(s)
      const id = `job${asked.length}`
      jobs.set(id, { polls: 0, words: timesFor(s.words, s.from_ms, s.from_ms + s.duration_ms) })
      return id
    },
    async result(id) {
      const j = jobs.get(id)!
      j.polls++
      return j.polls < 2 ? { state: 'running' } : { state: 'succeeded', words: j.words }
    },
  }
  return { api, asked }
}

describe('the aligner', () => {
  it('sends each edited run with two anchors either side, within the bounds', () => {
    const s = new EditorStore(doc(20))
    const w = s.words
    const texts = (got: ReturnType<typeof stretches>) => got.map((g) => g.words.map((x) => x.text))
    const got = stretches(w, [w[5], w[8], w[15]])
    expect(texts(got)).toEqual([
      ['w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9', 'w10'], // 5 and 8 are within two anchors' reach
      ['w13', 'w14', 'w15', 'w16', 'w17'],
    ])
    expect([got[0].fromMs, got[0].toMs]).toEqual([900 - 200, 3300 + 200])
    expect(texts(stretches(w, [w[0]]))).toEqual([['w0', 'w1', 'w2']])
    // A long run goes in windows the server takes (at most 28 s each), not word by word.
    const pasted = new EditorStore(doc(200, 300))
    const windows = stretches(pasted.words, pasted.words.slice(10, 190))
    expect(windows.length).toBeLessThan(10)
    expect(windows.every((x) => x.toMs - x.fromMs <= 28_000 && x.words.length <= 64)).toBe(true)
    const covered = new Set(windows.flatMap((x) => x.words.map((y) => y.text)))
    expect(pasted.words.slice(10, 190).every((y) => covered.has(y.text))).toBe(true)
    // A word that alone is too long stays; so does one the server would refuse, and one not there.
    const long = new EditorStore(doc(10, 7000))
    expect(stretches(long.words, [long.words[4], long.words[5]])).toEqual([])
    const odd = new EditorStore(doc(6))
    odd.setText(3, 'x'.repeat(101))
    expect(stretches(odd.words, [odd.words[3]])).toEqual([])
    expect(stretches(w, [{ ...w[0], id: 12345 }])).toEqual([])
  })

  it('gives an inserted word the times the audio has, as part of its edit', async () => {
    const s = new EditorStore(doc(6))
    // Where the audio has each word: the document's times, but "new" and the w2 before it here.
    const truth: Record<string, [number, number]> = { w2: [600, 690], new: [700, 880] }
    const heard = (words: string[]) =>
      words.map((text) => {
        const i = Number(text.slice(1))
        const [start_ms, end_ms] = truth[text] ?? [i * 300, (i + 1) * 300]
        return { text, start_ms, end_ms }
      })
    const aligner = new Aligner(s, server(heard).api, async () => {})
    const id = s.insertAfter(2, 'new')
    const estimate = times(s)
    await aligner.run()
    const at = (text: string) => times(s).find((t) => t[0] === text)
    // No pause after w2: "new" shared its span, so both were estimates; both take the audio's.
    expect([at('w2'), at('new')]).toEqual([['w2', 600, 690], ['new', 700, 880]])
    // The anchors kept their times.
    const untouched = (t: (string | number)[][]) => t.filter((x) => x[0] !== 'new' && x[0] !== 'w2')
    expect(untouched(times(s))).toEqual(untouched(estimate))
    // One undo takes back the insertion and its times together; redo brings both.
    s.undo()
    expect(s.words.map((x) => x.text)).not.toContain('new')
    s.redo()
    expect([s.words[s.index(id)].startMs, s.words[s.index(id)].endMs]).toEqual([700, 880])
    aligner.dispose()
  })

  it('leaves words changed, moved or undone meanwhile, and the estimate where the engine cannot align', async () => {
    const held = () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((r) => (release = r))
      return { gate, release: () => release() }
    }
    const answer = (words: string[], from: number) => words.map((text, k) => ({ text, start_ms: from + k * 10, end_ms: from + k * 10 + 5 }))
    for (const meanwhile of [
      (s: EditorStore) => s.setText(3, 'refixed'), // typed on
      (s: EditorStore) => s.retime(3, 1000, 1100), // moved by hand
      (s: EditorStore) => s.undo(), // the edit undone
    ]) {
      const s = new EditorStore(doc(6))
      const { gate, release } = held()
      const aligner = new Aligner(s, server(answer).api, () => gate)
      s.setText(3, 'fixed')
      const running = aligner.run()
      meanwhile(s)
      const before = times(s)
      release()
      await running
      expect(times(s)).toEqual(before)
      aligner.dispose()
    }

    // After another edit the times come as a step of their own: undoing that edit keeps them.
    const s = new EditorStore(doc(6))
    const { gate, release } = held()
    const aligner = new Aligner(s, server((words) => words.map((text) => (text === 'fixed' ? { text, start_ms: 950, end_ms: 1150 } : { text, start_ms: 0, end_ms: 0 }))).api, () => gate)
    s.setText(3, 'fixed')
    const running = aligner.run()
    s.toggleEmphasis(0, 0)
    release()
    await running
    const aligned = times(s)[3]
    expect(aligned).toEqual(['fixed', 950, 1150])
    expect(s.undoLabel).toBe('times from the audio')
    s.undo()
    expect(times(s)[3]).toEqual(['fixed', 900, 1200])
    aligner.dispose()

    const t = new EditorStore(doc(6))
    const none = new Aligner(t, server(() => null).api, async () => {})
    t.setText(2, 'other')
    const estimate = times(t)
    await none.run()
    expect(times(t)).toEqual(estimate)
    none.dispose()
  })
})
