import { beforeEach, describe, expect, it, vi } from 'vitest'
import { Autosave, pendingEdits } from './autosave'
import { EditorStore, type WireDocument } from './store'

const memory = new Map<string, string>()
vi.stubGlobal('localStorage', {
  getItem: (k: string) => memory.get(k) ?? null,
  setItem: (k: string, v: string) => void memory.set(k, v),
  removeItem: (k: string) => void memory.delete(k),
})
vi.stubGlobal('addEventListener', () => undefined)
vi.stubGlobal('removeEventListener', () => undefined)

const doc = (...texts: string[]): WireDocument => ({ words: texts.map((text, i) => ({ text, start: i, end: i + 0.5 })) })

/** A server keeping one document with a version, answering 412 to stale writes. */
function server(initial: WireDocument) {
  const s = { doc: initial, version: 1, saves: 0 }
  return Object.assign(s, {
    load: async () => ({ doc: s.doc, etag: `"v${s.version}"` }),
    save: async (d: WireDocument, etag: string) => {
      if (etag !== `"v${s.version}"`) return { status: 412 }
      s.saves++
      s.doc = d
      s.version++
      return { status: 200, etag: `"v${s.version}"` }
    },
  })
}

describe('autosave', () => {
  beforeEach(() => memory.clear())

  it('saves a change with If-Match and clears the pending copy', async () => {
    const api = server(doc('a', 'b'))
    const store = new EditorStore(api.doc)
    const save = new Autosave('p', store, api, '"v1"')
    store.setText(0, 'A')
    await new Promise((done) => setTimeout(done, 350))
    expect(pendingEdits('p')?.doc.words[0].text).toBe('A')
    await save.flush()
    expect([api.doc.words[0].text, save.state, save.etag, pendingEdits('p')]).toEqual(['A', 'saved', '"v2"', null])
  })

  it('a burst of changes is written to local storage once, and at once when a save starts', async () => {
    const api = server(doc('a', 'b'))
    const store = new EditorStore(api.doc)
    const save = new Autosave('p', store, api, '"v1"')
    let writes = 0
    const setItem = localStorage.setItem
    localStorage.setItem = (k: string, v: string) => (writes++, setItem(k, v))
    for (let i = 0; i < 50; i++) store.retime(1, 1000 + i, 1500 + i, 'drag')
    await new Promise((done) => setTimeout(done, 350))
    expect([writes, pendingEdits('p')?.doc.words[1].start]).toEqual([1, 1.049])
    store.setText(0, 'A')
    const saving = save.flush()
    expect(pendingEdits('p')?.doc.words[0].text).toBe('A')
    await saving
    localStorage.setItem = setItem
    expect(pendingEdits('p')).toBeNull()
  })

  it('on a 412 shows both versions and loses nothing, whichever is kept', async () => {
    const api = server(doc('a', 'b'))
    const store = new EditorStore(api.doc)
    const save = new Autosave('p', store, api, '"v1"')
    await api.save(doc('a', 'theirs'), '"v1"') // someone else saves first
    store.setText(0, 'mine')
    await save.flush()
    expect(save.state).toBe('conflict')
    expect(save.conflict?.theirs.words[1].text).toBe('theirs')
    expect(pendingEdits('p')?.doc.words[0].text).toBe('mine')
    save.resolve('mine')
    await save.flush()
    expect([api.doc.words[0].text, save.state]).toEqual(['mine', 'saved'])
  })

  it('keeps edits pending while offline and saves them when back', async () => {
    const api = server(doc('a'))
    let online = false
    const flaky = { load: api.load, save: async (d: WireDocument, e: string) => { if (!online) throw new TypeError('offline'); return api.save(d, e) } }
    const store = new EditorStore(api.doc)
    const save = new Autosave('p', store, flaky, '"v1"')
    store.setText(0, 'b')
    await save.flush()
    expect(save.state).toBe('offline')
    online = true
    await save.flush()
    expect([api.doc.words[0].text, save.state]).toEqual(['b', 'saved'])
  })

  it('takes up pending edits after a reload: saved when on the same version, shown beside a newer one', async () => {
    const api = server(doc('a'))
    memory.set('cofee.pending.p', JSON.stringify({ etag: '"v1"', doc: doc('restored') }))
    const store = new EditorStore()
    const save = new Autosave('p', store, api, '"v1"')
    save.restore(pendingEdits('p')!, await api.load())
    await save.flush()
    expect(api.doc.words[0].text).toBe('restored')
    memory.set('cofee.pending.p', JSON.stringify({ etag: '"v1"', doc: doc('old edit') }))
    const again = new Autosave('p', new EditorStore(), api, '"v2"')
    again.restore(pendingEdits('p')!, await api.load())
    expect(again.state).toBe('conflict')
    expect(again.conflict?.mine.words[0].text).toBe('old edit')
  })
})

describe('autosave after a conflict', () => {
  beforeEach(() => memory.clear())

  it('keeping theirs leaves it saved, with nothing pending', async () => {
    const api = server(doc('a'))
    const store = new EditorStore(api.doc)
    const save = new Autosave('p', store, api, '"v1"')
    await api.save(doc('theirs'), '"v1"')
    store.setText(0, 'mine')
    await save.flush()
    save.resolve('theirs')
    await save.flush()
    expect([save.state, store.words[0].text, pendingEdits('p'), api.saves]).toEqual(['saved', 'theirs', null, 1])
  })

  it('a failed reload of the other version leaves it offline, and it saves later', async () => {
    const api = server(doc('a'))
    let down = true
    const flaky = { load: async () => { if (down) throw new TypeError('offline'); return api.load() }, save: api.save }
    const store = new EditorStore(api.doc)
    const save = new Autosave('p', store, flaky, '"v1"')
    await api.save(doc('theirs'), '"v1"')
    store.setText(0, 'mine')
    await save.flush()
    expect(save.state).toBe('offline')
    down = false
    await save.flush()
    expect(save.state).toBe('conflict')
  })
})
