import { Show, createEffect, createMemo, createResource, createSignal, on, onCleanup, onMount } from 'solid-js'
import { api, message, sessionFetch } from '../api/client'
import { startTrace } from '../api/trace'
import { ConflictDialog, FindReplace, SaveStatus, Shortcuts, type Replacement } from '../components/Dialogs'
import { ImportDialog, describeImport } from '../components/ImportDialog'
import { Preview, type Player } from '../components/Preview'
import { RenderPanel } from '../components/RenderPanel'
import { ReviewPanel } from '../components/ReviewPanel'
import { StylePanel } from '../components/StylePanel'
import { EmojiPicker } from '../components/EmojiPicker'
import { suggestFor } from '../editor/emoji'
import { doubtfulWords, nextOf, readingChecks } from '../editor/review'
import { PLATFORMS, type Placement, type Platform, coveredPages } from '../editor/safezones'
import { Timeline } from '../components/Timeline'
import { Transcript, type TranscriptView } from '../components/Transcript'
import { Autosave, pendingEdits, type SaveState } from '../editor/autosave'
import { Aligner, type AlignmentApi } from '../editor/alignment'
import { finished, watchJobs, type JobEvent } from '../editor/jobs'
import { breaksFrom, paginate, type PageBreaks } from '../editor/pages'
import { EditorStore, type WireDocument, type Word } from '../editor/store'
import { decodePeaks, pauseEdges, type Peaks } from '../editor/waveform'
import { takeHandedOver, upload } from '../uploads'

const JOB_NAMES: Record<string, string> = { transcribe: 'Transcription', render: 'Render', waveform: 'Waveform' }
const JOB_STATES: Record<string, string> = { queued: 'is waiting', running: 'is running', succeeded: 'finished', dead: 'failed', cancelled: 'was cancelled' }

/** A job's state in words: "Render is running (40 %)". */
function describe(j: JobEvent): string {
  const name = JOB_NAMES[j.kind] ?? j.kind
  const pct = j.state === 'running' ? ` (${Math.round(j.progress * 100)} %)` : ''
  return `${name} ${JOB_STATES[j.state] ?? j.state}${pct}${j.error ? `: ${j.error}` : ''}`
}

/** The editor of one project: upload, transcribe, fix words and times, style, render. */
export function Editor(props: { id: string }) {
  startTrace()
  const id = props.id
  const stop = new AbortController()
  onCleanup(() => stop.abort())
  const [error, setError] = createSignal('')
  const [project] = createResource(async () => (await api.GET('/api/projects/{id}', { params: { path: { id } } })).data)
  const [media, { refetch: refetchMedia }] = createResource(async () => {
    const r = await api.GET('/api/projects/{id}/media', { params: { path: { id } } })
    if (!r.data) return null
    const url = await api.GET('/api/projects/{id}/media/url', { params: { path: { id } } })
    return { ...r.data, url: url.data?.url ?? '' }
  })

  // Jobs: progress by id, and a promise per job for whoever waits on its end.
  const [progress, setProgress] = createSignal<Record<string, number>>({})
  const [status, setStatus] = createSignal('')
  const waiting = new Map<string, (j: JobEvent) => void>()
  const ended = new Map<string, JobEvent>()
  void watchJobs(
    id,
    (j) => {
      setProgress((p) => ({ ...p, [j.job_id]: j.progress }))
      if (j.kind !== 'align') setStatus(describe(j)) // the aligner's own, many and quick
      if (finished(j.state)) {
        ended.set(j.job_id, j)
        waiting.get(j.job_id)?.(j)
        if (j.kind === 'waveform' && j.state === 'succeeded') void loadPeaks()
      }
    },
    stop.signal,
  )
  const job = (jobId: string) =>
    new Promise<JobEvent>((resolve) => (ended.has(jobId) ? resolve(ended.get(jobId)!) : waiting.set(jobId, resolve)))

  // The waveform, computed by the server once per video (409 until then: a job event says when).
  const [peaks, setPeaks] = createSignal<Peaks | null>(null)
  const [pauses, setPauses] = createSignal<number[]>([])
  const loadPeaks = async () => {
    const res = await sessionFetch(`/api/projects/${id}/waveform`)
    if (!res.ok) return
    try {
      const p = decodePeaks(await res.arrayBuffer())
      setPeaks(p)
      setPauses(pauseEdges(p))
    } catch {
      /* not waveform data: the timeline shows the words without it */
    }
  }
  onMount(() => void loadPeaks())

  // The captions: one store, autosaved.
  const store = new EditorStore()
  const [version, setVersion] = createSignal(0)
  onCleanup(store.subscribe(() => setVersion((v) => v + 1)))
  const [loaded, setLoaded] = createSignal<'none' | 'loading' | 'ready'>('loading')
  const [saveState, setSaveState] = createSignal<SaveState>('saved')
  const [conflict, setConflict] = createSignal<Autosave['conflict']>(null)
  const [breaks, setBreaks] = createSignal<PageBreaks>({ pages: new Set(), lines: new Set() })
  const [ass, setAss] = createSignal<string | null>(null)
  let autosave: Autosave | null = null

  const loadCaptions = async (): Promise<{ doc: WireDocument; etag: string } | null> => {
    const res = await sessionFetch(`/api/projects/${id}/captions`)
    if (!res.ok) return null
    return { doc: await res.json(), etag: res.headers.get('etag') ?? '' }
  }
  const saveCaptions = async (doc: WireDocument, etag: string) => {
    const res = await sessionFetch(`/api/projects/${id}/captions`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': etag },
      body: JSON.stringify(doc),
    })
    return { status: res.status, etag: res.headers.get('etag') ?? undefined }
  }
  // Words a person writes get their times from the audio (forced alignment on a worker).
  let aligner: Aligner | undefined
  const alignmentApi: AlignmentApi = {
    async request(body) {
      const r = await api.POST('/api/projects/{id}/alignments', { params: { path: { id } }, body })
      return r.data?.job_id ?? null
    },
    async result(job) {
      const r = await api.GET('/api/projects/{id}/alignments/{job_id}', { params: { path: { id, job_id: job } } })
      return r.data ?? null
    },
  }
  /** The layout and the preview of what the server has now. */
  // The style as saved, for the review's safe-zone check; `styleChanged` tells the style panel
  // to read it again after a review fix changed it.
  const [placement, setPlacement] = createSignal<Placement>()
  const [styleChanged, setStyleChanged] = createSignal(0)
  const refreshDerived = async () => {
    const words = store.words
    const [pages, assRes, style] = await Promise.all([
      api.GET('/api/projects/{id}/captions/pages', { params: { path: { id } } }),
      sessionFetch(`/api/projects/${id}/captions.ass`),
      api.GET('/api/projects/{id}/style', { params: { path: { id } } }),
    ])
    if (pages.data) setBreaks(breaksFrom(pages.data, words))
    if (assRes.ok) setAss(await assRes.text())
    if (style.data) setPlacement(style.data as Placement)
  }
  const moveCaptions = async (margins: { margin_v: number; margin_h: number }) => {
    const r = await api.GET('/api/projects/{id}/style', { params: { path: { id } } })
    if (!r.data) return setError(message(r.error, r.response))
    const put = await api.PUT('/api/projects/{id}/style', { params: { path: { id } }, body: { ...r.data, ...margins } })
    if (put.error) return setError(message(put.error, put.response))
    setStyleChanged((n) => n + 1)
    await refreshDerived()
  }
  const startEditing = async () => {
    const server = await loadCaptions()
    if (!server) return setLoaded('none')
    autosave?.dispose()
    store.load(server.doc)
    autosave = new Autosave(id, store, { load: async () => (await loadCaptions())!, save: saveCaptions }, server.etag)
    aligner?.dispose()
    aligner = new Aligner(store, alignmentApi)
    autosave.subscribe(() => {
      setSaveState(autosave!.state)
      setConflict(autosave!.conflict)
      if (autosave!.state === 'saved') void refreshDerived()
    })
    const pending = pendingEdits(id)
    if (pending) autosave.restore(pending, server)
    setLoaded('ready')
    await refreshDerived()
  }
  onMount(() => void startEditing())
  onCleanup(() => {
    aligner?.dispose()
    void autosave?.flush()
    autosave?.dispose()
  })

  // The replacements kept on the project, which later transcriptions apply.
  const [replacements, { mutate: setReplacements }] = createResource(
    async () => {
      const r = await api.GET('/api/projects/{id}/replacements', { params: { path: { id } } })
      if (!r.data) throw new Error(message(r.error, r.response)) // not an empty list: see FindReplace
      return r.data.replacements
    },
  )
  const rememberReplacements = async (list: Replacement[]) => {
    const r = await api.PUT('/api/projects/{id}/replacements', { params: { path: { id } }, body: { replacements: list } })
    if (r.error) return message(r.error, r.response)
    setReplacements(r.data.replacements)
    return undefined
  }

  // Upload and transcription.
  const [uploading, setUploading] = createSignal<number | null>(null)
  const startUpload = async (file: File) => {
    setError('')
    setUploading(0)
    try {
      await upload(id, file, setUploading)
      await refetchMedia()
      void loadPeaks()
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    } finally {
      setUploading(null)
    }
  }
  onMount(() => {
    const file = takeHandedOver(id)
    if (file) void startUpload(file)
  })
  const [transcribing, setTranscribing] = createSignal<string | null>(null)
  const transcribe = async () => {
    setError('')
    const r = await api.POST('/api/projects/{id}/transcribe', { params: { path: { id } }, body: {} })
    if (r.error) return setError(message(r.error, r.response))
    setTranscribing(r.data.job_id)
    const end = await job(r.data.job_id)
    setTranscribing(null)
    if (end.state === 'succeeded') await startEditing()
    else setError(`The transcription ${end.state}${end.error ? `: ${end.error}` : ''}`)
  }

  // Selection, the playhead, editing.
  let player: Player | undefined
  const [selected, setSelected] = createSignal<number | null>(null)
  const [editing, setEditing] = createSignal<number | null>(null)
  const [playhead, setPlayhead] = createSignal(0)
  const [dialog, setDialog] = createSignal<'find' | 'shortcuts' | 'import' | 'emoji' | null>(null)
  // The emoji a word can carry, drawn as the render draws them (the same for every project).
  const [emojiCatalogue] = createResource(async () => (await api.GET('/api/emoji')).data)
  const emojiOf = createMemo(() => new Map((emojiCatalogue() ?? []).map((e) => [e.emoji, e])))
  const words = () => {
    version()
    return store.words
  }
  const pages = createMemo(() => paginate(words(), breaks()))
  const active = createMemo(() => {
    const i = store.wordAt(playhead())
    const w = words()[i]
    return w && playhead() < w.endMs ? w.id : null
  })
  const selectedIndex = () => (selected() === null ? -1 : store.index(selected()!))
  // Review: reading checks of the pages, doubtful words, a platform's interface.
  const [platform, setPlatform] = createSignal<Platform | null>(null)
  const findings = createMemo(() => readingChecks(pages()))
  const frameSize = () => ({ width: media()?.width ?? 1920, height: media()?.height ?? 1080 })
  const flags = createMemo(() => {
    const at = new Map<number, string[]>()
    const add = (page: number, what: string) => at.set(page, [...(at.get(page) ?? []), what])
    for (const f of findings()) add(f.page, f.message)
    const p = platform()
    const style = placement()
    if (p && style) for (const c of coveredPages(pages(), style, p, frameSize().width, frameSize().height)) add(c.page, `under ${PLATFORMS[p].name}’s ${c.area}`)
    return at
  })
  const stepDoubtful = (back: boolean) => {
    const id = nextOf(doubtfulWords(words()), words(), selected(), back)
    const w = id === null ? undefined : words()[store.index(id)]
    select(w)
  }
  const goTo = (wordId: number) => select(words()[store.index(wordId)])
  let transcriptView: TranscriptView | undefined
  // A selection of several words: from the selected word to `rangeEnd` (Shift+click,
  // Shift+←/→); emphasis and colours apply to all of them.
  const [rangeEnd, setRangeEnd] = createSignal<number | null>(null)
  const bounds = (): [number, number] => {
    version()
    const i = selectedIndex()
    const j = rangeEnd() === null ? i : store.index(rangeEnd()!)
    return j < 0 ? [i, i] : [Math.min(i, j), Math.max(i, j)]
  }
  const rangeIds = createMemo(() => {
    const [lo, hi] = bounds()
    return rangeEnd() === null || lo < 0 ? undefined : new Set(words().slice(lo, hi + 1).map((w) => w.id))
  })
  const withRange = (f: (lo: number, hi: number) => void) => {
    const [lo, hi] = bounds()
    if (lo >= 0) f(lo, hi)
  }
  const extendTo = (w: Word | undefined) => {
    if (!w) return
    if (selected() === null) return select(w)
    setRangeEnd(w.id === selected() ? null : w.id)
    document.querySelector<HTMLElement>(`[data-word-id="${w.id}"]`)?.focus()
  }
  const select = (w: Word | undefined, seek = true) => {
    if (!w) return
    setRangeEnd(null)
    setSelected(w.id)
    if (seek) player?.seek(w.startMs + 1)
    // The transcript draws only the pages in view: a word not drawn has its page brought in
    // first (and is focused then, unless an edit was opened meanwhile).
    const button = () => document.querySelector<HTMLElement>(`[data-word-id="${w.id}"]`)
    const drawn = button()
    if (drawn || !transcriptView) return drawn?.focus()
    void transcriptView.reveal(pageOf(w.id)).then(() => editing() === null && button()?.focus())
  }
  const commit = (w: Word, text: string) => {
    setEditing(null)
    const i = store.index(w.id)
    if (i >= 0) store.setText(i, text)
    select(store.words[Math.min(Math.max(i, 0), store.words.length - 1)], false)
  }
  const withSelected = (f: (i: number) => void) => {
    const i = selectedIndex()
    if (i >= 0) f(i)
  }
  // Each word's page, once per layout (the toolbar, the keys and playback ask on every change).
  const pageOfWord = createMemo(() => {
    const at = new Map<number, number>()
    for (const p of pages()) for (const w of p.words) at.set(w.id, p.index)
    return at
  })
  const pageOf = (wordId: number) => pageOfWord().get(wordId) ?? -1
  /** Joins the selected word's page to the page before it. */
  const mergeSelectedPage = () => {
    const p = selected() === null ? -1 : pageOf(selected()!)
    const first = pages()[p]?.words[0]
    if (p > 0 && first) store.mergePage(store.index(first.id))
  }
  const canSplitPage = () => {
    version()
    const p = selected() === null ? -1 : pageOf(selected()!)
    return p >= 0 && pages()[p].words[0].id !== selected()
  }
  const chosen = () => {
    const [lo, hi] = bounds()
    return lo < 0 ? [] : words().slice(lo, hi + 1)
  }
  /** The selection's colour when its words share one. */
  const selectedColor = () => {
    const c = chosen()
    return c.length > 0 && c.every((w) => w.color === c[0].color) ? c[0].color : undefined
  }
  const isEmphasised = () => {
    const c = chosen()
    return c.length > 0 && c.every((w) => w.emphasis === true)
  }
  const canMergePage = () => {
    version()
    return selected() !== null && pageOf(selected()!) > 0
  }

  // While the video plays, the transcript follows the spoken word.
  createEffect(
    on(active, (id) => {
      if (id !== null && player && !player.video.paused && editing() === null) void transcriptView?.reveal(pageOf(id))
    }),
  )

  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement
    if (t.closest('input, textarea, select, [role=dialog]') && !(e.key === 'Escape')) return
    const mod = e.ctrlKey || e.metaKey
    const key = e.key
    const step = e.shiftKey ? 100 : 10
    const handled = (() => {
      if (mod && key.toLowerCase() === 'z') return e.shiftKey ? store.redo() : store.undo(), true
      if (mod && key.toLowerCase() === 'y') return store.redo(), true
      if (mod && key.toLowerCase() === 'f') return setDialog('find'), true
      if (mod) return false
      switch (key) {
        case ' ':
          player?.toggle()
          return true
        case '?':
          setDialog('shortcuts')
          return true
        case 'ArrowRight':
        case 'ArrowLeft': {
          if (e.altKey) {
            withSelected((i) => store.move(i, key === 'ArrowRight' ? step : -step, `nudge:${selected()}`))
            return true
          }
          if (e.shiftKey && selected() !== null) {
            const end = store.index(rangeEnd() ?? selected()!)
            extendTo(store.words[Math.max(0, end + (key === 'ArrowRight' ? 1 : -1))])
            return true
          }
          const i = selectedIndex() >= 0 ? selectedIndex() : store.wordAt(playhead())
          select(store.words[Math.max(0, i + (key === 'ArrowRight' ? 1 : -1))])
          return true
        }
        case 'PageDown':
        case 'PageUp': {
          const p = selected() === null ? -1 : pageOf(selected()!)
          const next = pages()[Math.max(0, p + (key === 'PageDown' ? 1 : -1))]
          select(next?.words[0])
          return true
        }
        case 'Enter':
          if (e.shiftKey) return withSelected((i) => store.splitPage(i)), true
          if (selected() !== null) setEditing(selected())
          return selected() !== null
        case 'Delete':
        case 'Backspace':
          if (e.shiftKey && key === 'Backspace') return mergeSelectedPage(), true
          withSelected((i) => {
            store.remove(i)
            select(store.words[Math.min(i, store.words.length - 1)], false)
          })
          return true
        case 'i':
          withSelected((i) => {
            const newId = store.insertAfter(i, '…')
            setSelected(newId)
            setEditing(newId)
          })
          return true
        case 'm':
          withSelected((i) => store.mergeWithNext(i))
          return true
        case 'e':
          withRange((lo, hi) => store.toggleEmphasis(lo, hi))
          return true
        case ':':
          setDialog('emoji')
          return true
        case 'n':
        case 'N':
          stepDoubtful(e.shiftKey)
          return true
        case '[':
          withSelected((i) => store.retime(i, player?.nowMs() ?? 0, store.words[i].endMs))
          return true
        case ']':
          withSelected((i) => store.retime(i, store.words[i].startMs, player?.nowMs() ?? 0))
          return true
        case 'p': {
          const p = pages()[selected() === null ? 0 : pageOf(selected()!)]
          if (p) player?.playRange(p.startMs, p.endMs)
          return true
        }
        case 'Escape':
          setEditing(null)
          return true
      }
      return false
    })()
    if (handled) e.preventDefault()
  }
  onMount(() => addEventListener('keydown', onKey))
  onCleanup(() => removeEventListener('keydown', onKey))

  const [canUndo, canRedo] = [() => (version(), store.canUndo), () => (version(), store.canRedo)]
  const durationMs = () => Math.round((media()?.duration_secs ?? 0) * 1000)

  return (
    <main class="editor-screen">
      <header class="row editor-bar">
        <a href="#/">← Projects</a>
        <h1>{project()?.name ?? ''}</h1>
        <Show when={loaded() === 'ready'}>
          <SaveStatus state={saveState()} />
          <div class="row push" role="toolbar" aria-label="Editing">
            <button type="button" class="secondary" disabled={!canUndo()} onClick={() => store.undo()} aria-keyshortcuts="Control+Z" title={store.undoLabel ? `Undo ${store.undoLabel}` : 'Undo'}>
              Undo
            </button>
            <button type="button" class="secondary" disabled={!canRedo()} onClick={() => store.redo()} aria-keyshortcuts="Control+Shift+Z">
              Redo
            </button>
            <button type="button" class="secondary" disabled={!canSplitPage()} onClick={() => withSelected((i) => store.splitPage(i))} aria-keyshortcuts="Shift+Enter" title="Start a new page at the selected word">
              Split page
            </button>
            <button type="button" class="secondary" disabled={!canMergePage()} onClick={mergeSelectedPage} aria-keyshortcuts="Shift+Backspace" title="Join the selected word’s page to the page before">
              Merge pages
            </button>
            <button
              type="button"
              class="secondary"
              disabled={selected() === null}
              aria-pressed={isEmphasised()}
              onClick={() => withRange((lo, hi) => store.toggleEmphasis(lo, hi))}
              aria-keyshortcuts="E"
              title="Show the selected word in the style’s emphasis colour and size"
            >
              Emphasise
            </button>
            <label class="word-colour" title="A colour of its own for the selected word">
              Word colour
              <input type="color" disabled={selected() === null} value={selectedColor() ?? '#ffffff'} onChange={(e) => { const c = e.currentTarget.value.toUpperCase(); withRange((lo, hi) => store.setColor(lo, c, hi)) }} />
            </label>
            <button type="button" class="secondary" disabled={selectedColor() === undefined} onClick={() => withRange((lo, hi) => store.setColor(lo, undefined, hi))}>
              No colour
            </button>
            <button type="button" class="secondary" onClick={() => setDialog('emoji')} aria-keyshortcuts=":" title="An emoji above the page from the selected word on">
              Emoji
            </button>
            <button type="button" class="secondary" onClick={() => setDialog('find')} aria-keyshortcuts="Control+F">
              Find and replace
            </button>
            <button type="button" class="secondary" onClick={() => setDialog('import')}>
              Import captions
            </button>
            <button type="button" class="secondary" onClick={() => setDialog('shortcuts')} aria-keyshortcuts="?">
              Shortcuts
            </button>
          </div>
        </Show>
      </header>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <p class="muted" role="status">
        {status()}
      </p>
      <Show when={media.state === 'ready' && !media()}>
        <section
          class="card upload"
          aria-label="Upload a video"
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault()
            const f = e.dataTransfer?.files[0]
            if (f) void startUpload(f)
          }}
        >
          <h2>Add the video</h2>
          <p>Drop a video here, or choose one. It uploads in pieces and resumes if the connection drops.</p>
          <label class="button">
            Choose a video
            <input type="file" accept="video/*" name="video" class="visually-hidden" onChange={(e) => e.currentTarget.files?.[0] && void startUpload(e.currentTarget.files[0])} />
          </label>
          <Show when={uploading() !== null}>
            <progress aria-label="Upload progress" max="1" value={uploading()!} />
          </Show>
        </section>
      </Show>
      <Show when={media()}>
        {(m) => (
          <div class="workspace">
            <div class="left stack">
              <Preview
                src={m().url}
                width={m().width ?? 1920}
                height={m().height ?? 1080}
                durationMs={durationMs()}
                ass={ass()}
                onTime={setPlayhead}
                player={(p) => (player = p)}
                areas={platform() ? PLATFORMS[platform()!].areas : undefined}
              />
              <Show when={loaded() === 'ready'}>
                <Timeline
                  words={words()}
                  pages={pages()}
                  peaks={peaks()}
                  pauses={pauses()}
                  playhead={playhead()}
                  durationMs={durationMs()}
                  selected={selected()}
                  onSeek={(ms) => player?.seek(ms)}
                  onSelect={(w) => select(w, false)}
                  onRetime={(i, s, e, burst) => store.retime(i, s, e, burst)}
                />
              </Show>
            </div>
            <div class="side stack">
              <Show when={loaded() === 'none'}>
                <section class="card stack" aria-label="Transcribe">
                  <h2>Captions</h2>
                  <p>Cofee listens to the video and writes every word with its time.</p>
                  <div class="row">
                    <button type="button" onClick={() => void transcribe()} disabled={transcribing() !== null}>
                      Transcribe
                    </button>
                    <Show when={transcribing()}>{(j) => <progress aria-label="Transcription progress" max="1" value={progress()[j()] ?? 0} />}</Show>
                  </div>
                  <p>
                    Or bring captions made elsewhere:{' '}
                    <button type="button" class="secondary" onClick={() => setDialog('import')}>
                      Import captions
                    </button>
                  </p>
                </section>
              </Show>
              <Show when={loaded() === 'ready'}>
                <Transcript
                  pages={pages()}
                  selected={selected()}
                  active={active()}
                  editing={editing()}
                  onSelect={(w, extend) => (extend ? extendTo(w) : select(w))}
                  range={rangeIds()}
                  onEdit={(w) => setEditing(w?.id ?? null)}
                  onCommit={commit}
                  view={(v) => (transcriptView = v)}
                  flags={flags()}
                  emojiOf={(e) => emojiOf().get(e)}
                />
                <ReviewPanel
                  store={store}
                  words={words()}
                  pages={pages()}
                  findings={findings()}
                  style={placement()}
                  width={frameSize().width}
                  height={frameSize().height}
                  platform={platform()}
                  onPlatform={setPlatform}
                  onGo={goTo}
                  onStepDoubtful={stepDoubtful}
                  onMoveCaptions={(m) => void moveCaptions(m)}
                />
                <StylePanel project={id} playhead={playhead} changed={styleChanged} onSaved={() => void refreshDerived()} />
                <RenderPanel
                  project={id}
                  name={project()?.name ?? 'video'}
                  beforeRender={() => autosave?.flush() ?? Promise.resolve()}
                  job={job}
                  progress={(j) => progress()[j] ?? 0}
                />
              </Show>
            </div>
          </div>
        )}
      </Show>
      <Show when={dialog() === 'find'}>
        <FindReplace
          onReplace={(f, r, c) => store.replaceAll(f, r, c)}
          remembered={replacements.state === 'ready' ? replacements() : undefined}
          onRemember={rememberReplacements}
          onClose={() => setDialog(null)}
        />
      </Show>
      <Show when={dialog() === 'import'}>
        <ImportDialog
          project={id}
          hasWords={loaded() === 'ready' && store.words.length > 0}
          base={async () => {
            if (!autosave) return '"v0"'
            await autosave.flush()
            return autosave.etag
          }}
          onImported={(r) => {
            setDialog(null)
            setStatus(describeImport(r))
            void startEditing()
          }}
          onClose={() => setDialog(null)}
        />
      </Show>
      <Show when={dialog() === 'emoji'}>
        <EmojiPicker
          catalogue={emojiCatalogue()}
          word={selectedIndex() >= 0 ? words()[selectedIndex()] : undefined}
          onPick={(emoji) => withSelected((i) => store.setEmoji(i, emoji))}
          onSuggest={() => store.suggestEmoji(pages().map((p) => p.words), (t) => suggestFor(emojiCatalogue() ?? [], t)?.emoji)}
          onClose={() => setDialog(null)}
        />
      </Show>
      <Show when={dialog() === 'shortcuts'}>
        <Shortcuts onClose={() => setDialog(null)} />
      </Show>
      <Show when={conflict()}>{(c) => <ConflictDialog conflict={c()} onKeep={(k) => autosave?.resolve(k)} />}</Show>
    </main>
  )
}
