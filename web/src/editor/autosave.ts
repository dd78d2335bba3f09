// Autosave: every change to the store is saved (debounced) with `If-Match`, so an edit made
// elsewhere meanwhile is never overwritten. Pending edits are kept in local storage until the
// server has them, so a reload, a crash or an expired session loses nothing. On a 412 the
// server's version is fetched and the person chooses (both are shown): keep theirs, or keep
// mine on top of the new version.

import type { EditorStore, WireDocument } from './store'

export type SaveState = 'saved' | 'unsaved' | 'saving' | 'offline' | 'conflict' | 'signed-out'

export type Conflict = { mine: WireDocument; theirs: WireDocument; theirsVersion: string }

/** What autosave needs from the API (the editor passes the real calls; tests pass fakes). */
export type CaptionsApi = {
  load(): Promise<{ doc: WireDocument; etag: string }>
  save(doc: WireDocument, etag: string): Promise<{ status: number; etag?: string }>
}

const DEBOUNCE_MS = 700
/**
 * Local storage gets the pending document at most this often while changes come fast (a drag,
 * typing): serialising an hour-long transcript on every step would cost more than the step. A
 * save, or the page being hidden or closed, writes it at once.
 */
const PENDING_MS = 300
const pendingKey = (project: string) => `cofee.pending.${project}`

type Pending = { etag: string; doc: WireDocument }

export function pendingEdits(project: string): Pending | null {
  try {
    return JSON.parse(localStorage.getItem(pendingKey(project)) ?? 'null')
  } catch {
    return null
  }
}

export class Autosave {
  state: SaveState = 'saved'
  conflict: Conflict | null = null
  private timer: ReturnType<typeof setTimeout> | undefined
  private pendingTimer: ReturnType<typeof setTimeout> | undefined
  private inFlight: Promise<void> | null = null
  private dirty = false
  private listeners = new Set<() => void>()
  private unsubscribe: () => void
  /** Set while the store takes the server's version: that is no change of the person's. */
  private loading = false

  constructor(
    private project: string,
    private store: EditorStore,
    private api: CaptionsApi,
    public etag: string,
  ) {
    this.unsubscribe = store.subscribe(() => this.changed())
    addEventListener('online', this.retry)
    addEventListener('pagehide', this.writePending)
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private set(state: SaveState): void {
    this.state = state
    for (const l of this.listeners) l()
  }

  private retry = () => {
    if (this.state === 'offline' || this.state === 'unsaved' || this.state === 'signed-out') this.schedule(0)
  }

  private changed(): void {
    if (this.state === 'conflict' || this.loading) return
    this.dirty = true
    this.pendingTimer ??= setTimeout(this.writePending, PENDING_MS)
    if (this.state !== 'saving') this.set('unsaved')
    this.schedule(DEBOUNCE_MS)
  }

  /** Writes the document as it is now to local storage, if a change is waiting for that. */
  private writePending = () => {
    if (this.pendingTimer === undefined) return
    clearTimeout(this.pendingTimer)
    this.pendingTimer = undefined
    this.keepPending(this.store.document())
  }

  /** Keeps `doc` in local storage, with the version it was made on, until the server has it. */
  private keepPending(doc: WireDocument): void {
    localStorage.setItem(pendingKey(this.project), JSON.stringify({ etag: this.etag, doc } satisfies Pending))
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => void this.flush(), ms)
  }

  /** Saves now (and waits); resolves when nothing is pending or saving failed. */
  async flush(): Promise<void> {
    clearTimeout(this.timer)
    if (this.inFlight) await this.inFlight
    if (!this.dirty || this.state === 'conflict') return
    this.inFlight = this.save()
    try {
      await this.inFlight
    } finally {
      this.inFlight = null
    }
  }

  private async save(): Promise<void> {
    this.writePending() // what is sent is kept until the server has it
    this.dirty = false
    const doc = this.store.document()
    this.set('saving')
    let answer: { status: number; etag?: string }
    try {
      answer = await this.api.save(doc, this.etag)
    } catch {
      this.dirty = true
      this.set('offline')
      this.schedule(5000)
      return
    }
    if (answer.status === 200 && answer.etag) {
      this.etag = answer.etag
      if (this.dirty) {
        this.set('unsaved')
        this.schedule(0)
      } else {
        clearTimeout(this.pendingTimer)
        this.pendingTimer = undefined
        localStorage.removeItem(pendingKey(this.project))
        this.set('saved')
      }
    } else if (answer.status === 412) {
      let theirs: { doc: WireDocument; etag: string }
      try {
        theirs = await this.api.load()
      } catch {
        this.dirty = true
        this.set('offline')
        this.schedule(5000)
        return
      }
      this.conflict = { mine: doc, theirs: theirs.doc, theirsVersion: theirs.etag }
      this.set('conflict')
    } else if (answer.status === 401) {
      this.dirty = true
      this.set('signed-out')
    } else {
      this.dirty = true
      this.set('offline')
      this.schedule(10_000)
    }
  }

  /**
   * Takes up edits left pending by an earlier page (a reload, a crash, an expired session): on
   * the version they were made on they are simply saved; on a newer one, both are shown.
   */
  restore(pending: Pending, server: { doc: WireDocument; etag: string }): void {
    if (pending.etag === server.etag) {
      this.store.load(pending.doc) // counts as a change: saved at once
      this.schedule(0)
      return
    }
    this.conflict = { mine: pending.doc, theirs: server.doc, theirsVersion: server.etag }
    this.set('conflict')
    this.store.load(pending.doc)
  }

  /** Resolves a conflict: `mine` saves this editor's document over the new version, `theirs` loads the other. */
  resolve(keep: 'mine' | 'theirs'): void {
    const c = this.conflict
    if (!c) return
    this.conflict = null
    this.etag = c.theirsVersion
    if (keep === 'theirs') {
      this.loading = true
      this.store.load(c.theirs)
      this.loading = false
      this.dirty = false
      localStorage.removeItem(pendingKey(this.project))
      this.set('saved')
    } else {
      this.set('unsaved')
      this.dirty = true
      this.keepPending(c.mine)
      this.schedule(0)
    }
  }

  dispose(): void {
    clearTimeout(this.timer)
    this.writePending()
    this.unsubscribe()
    removeEventListener('online', this.retry)
    removeEventListener('pagehide', this.writePending)
  }
}
