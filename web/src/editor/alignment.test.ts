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
  const asked: { from_ms: number; to_ms: number; words: string[] }[] = []
  const jobs = new Map<string, { polls: number; words: AlignedWord[] | null }>()
  const api: AlignmentApi = {
    async request(s) {
      asked.push(s)
      const id = `job${asked.length}`
      jobs.set(id, { polls: 0, words: timesFor(s.words, s.from_ms, s.to_ms) })
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
    const ids = s.words.map((w) => w.id)
    const got = stretches(s.words, [ids[5], ids[8], ids[15]])
    expect(got.map((g) => g.texts)).toEqual([
      ['w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9', 'w10'], // 5 and 8 are within two anchors' reach
      ['w13', 'w14', 'w15', 'w16', 'w17'],
    ])
    expect([got[0].fromMs, got[0].toMs]).toEqual([900 - 200, 3300 + 200])
    expect(stretches(s.words, [ids[0]])[0].texts).toEqual(['w0', 'w1', 'w2'])
    // A stretch longer than the server takes goes word by word; a word that alone is too long stays.
    const long = new EditorStore(doc(10, 7000))
    const lids = long.words.map((w) => w.id)
    expect(stretches(long.words, [lids[4], lids[5]])).toEqual([])
    expect(stretches(s.words, [12345])).toEqual([])
  })

  it('gives an inserted word the times the audio has, as part of its edit', async () => {
    const s = new EditorStore(doc(6))
    const aligner = new Aligner(s, server((words, from) => words.map((text, k) => ({ text, start_ms: from + 1000 + k * 100, end_ms: from + 1000 + k * 100 + 90 }))).api, async () => {})
    const id = s.insertAfter(2, 'new')
    const estimate = times(s)
    await aligner.run()
    const at = (text: string) => times(s).find((t) => t[0] === text)
    // No pause after w2: "new" shared its span, so both are estimates, sent as w0…w5 (from 0):
    // w2 is the third word sent, "new" the fourth.
    expect([at('w2'), at('new')]).toEqual([['w2', 1200, 1290], ['new', 1300, 1390]])
    // The anchors kept their times.
    const untouched = (t: (string | number)[][]) => t.filter((x) => x[0] !== 'new' && x[0] !== 'w2')
    expect(untouched(times(s))).toEqual(untouched(estimate))
    // One undo takes back the insertion and its times together; redo brings both.
    s.undo()
    expect(s.words.map((x) => x.text)).not.toContain('new')
    s.redo()
    expect([s.words[s.index(id)].startMs, s.words[s.index(id)].endMs]).toEqual([1300, 1390])
    aligner.dispose()
  })

  it('leaves words changed again meanwhile, and the estimate where the engine cannot align', async () => {
    const s = new EditorStore(doc(6))
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const { api } = server((words, from) => words.map((text, k) => ({ text, start_ms: from + k * 10, end_ms: from + k * 10 + 5 })))
    const aligner = new Aligner(s, api, () => gate)
    s.setText(3, 'fixed')
    const running = aligner.run()
    s.setText(3, 'refixed') // the person goes on typing before the answer
    const before = times(s)
    release()
    await running
    expect(times(s)).toEqual(before)
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
