import { Show, createMemo, createResource, createSignal } from 'solid-js'
import { api, message } from '../api/client'
import { StyleGallery, type Look, type SavedStyle, type Style } from './style/StyleGallery'
import { StyleSettings } from './style/StyleSettings'

/**
 * The project's look: a gallery of templates and of the person's saved styles, drawn on their
 * own video at the playhead; every setting of the style; and saving it for other projects.
 * Every change repaints the preview.
 */
export function StylePanel(props: { project: string; playhead: () => number; onSaved: () => void; changed: () => number }) {
  const [error, setError] = createSignal('')
  const [presets] = createResource(async () => (await api.GET('/api/styles')).data ?? [])
  const [saved, { refetch: refetchSaved }] = createResource(async () => (await api.GET('/api/me/styles')).data ?? [])
  // Read again when the style was changed elsewhere (the review's fixes).
  const [style, { mutate }] = createResource(() => props.changed() + 1, async () => {
    const r = await api.GET('/api/projects/{id}/style', { params: { path: { id: props.project } } })
    return (r.data ?? {}) as Style
  })
  const [at, setAt] = createSignal(props.playhead())
  // Saves one after another, each built on the style the last one saved: two quick changes
  // (a slider let go, then a select) must not each start from the style before both.
  let saving: Promise<void> = Promise.resolve()
  const save = (change: Style, whole = false) => {
    // Where a style change starts; the preview marks where it ends (bench/editor.sh reads both).
    performance.mark('cofee:style-change')
    setError('')
    saving = saving
      .then(async () => {
        // A template starts from that template's look; any other change is the whole style as
        // it is, with that one setting changed.
        const body: Style = whole ? change : { ...(style() ?? {}), ...change }
        const r = await api.PUT('/api/projects/{id}/style', { params: { path: { id: props.project } }, body })
        if (r.error) return void setError(message(r.error, r.response))
        mutate(r.data as Style)
        props.onSaved()
      })
      // A failed request (offline) is said, and the next change is saved still.
      .catch((e: unknown) => void setError(`The style was not saved: ${message(e)}`))
    return saving
  }
  const looks = createMemo<Look[]>(() => [
    ...(presets() ?? []).map((p) => ({ key: `preset:${p.name}`, name: p.name ?? '', description: p.description, style: p as Style })),
    ...(saved() ?? []).map((s) => ({ key: `saved:${s.id}`, name: s.name, style: s.style as Style, saved: s })),
  ])
  const current = () => {
    const name = style()?.name ?? ''
    const mine = (saved() ?? []).find((s) => s.name === name)
    if (mine) return `saved:${mine.id}`
    const preset = (presets() ?? []).find((p) => name === p.name || name.startsWith(`${p.name}-`))
    return preset ? `preset:${preset.name}` : ''
  }
  const pick = (look: Look) => void (look.saved ? save(look.style, true) : save({ base: look.name as Style['base'] }, true))
  const forget = async (s: SavedStyle) => {
    const r = await api.DELETE('/api/me/styles/{id}', { params: { path: { id: s.id } } })
    if (r.error) return setError(message(r.error, r.response))
    void refetchSaved()
  }
  const [name, setName] = createSignal('')
  const keep = async (e: Event) => {
    e.preventDefault()
    await saving // the style as the last change left it
    const s = style()
    if (!s || !name().trim()) return
    const r = await api.POST('/api/me/styles', { body: { name: name().trim(), style: s } })
    if (r.error) return setError(message(r.error, r.response))
    setName('')
    await refetchSaved()
    await save({ name: r.data.name })
  }
  return (
    <section class="card stack style-panel" aria-label="Style">
      <div class="row">
        <h2>Style</h2>
        <button type="button" class="secondary push" onClick={() => setAt(props.playhead())}>
          Draw at the playhead
        </button>
      </div>
      <Show when={style() && presets()}>
        <StyleGallery project={props.project} looks={looks()} current={current()} at={at()} onPick={pick} onForget={(s) => void forget(s)} />
        <form class="row" onSubmit={(e) => void keep(e)}>
          <label class="grow">
            Name for my style
            <input name="style-name" value={name()} maxLength={80} placeholder="e.g. Brand captions" onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <button type="submit" class="secondary" disabled={!name().trim()}>
            Save as my style
          </button>
        </form>
        <details class="settings-panel">
          <summary>All settings</summary>
          <StyleSettings style={style()!} save={(c) => void save(c)} />
        </details>
      </Show>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
    </section>
  )
}
