import { For, Show, createResource, createSignal } from 'solid-js'
import { api, message, type Schemas } from '../api/client'

type Style = Omit<Schemas['StyleInput'], 'font_file'>

/** The project's look: a template, and the settings people change most. Repaints the preview. */
export function StylePanel(props: { project: string; onSaved: () => void }) {
  const [error, setError] = createSignal('')
  const [presets] = createResource(async () => (await api.GET('/api/styles')).data ?? [])
  const [style, { mutate }] = createResource(async () => {
    const r = await api.GET('/api/projects/{id}/style', { params: { path: { id: props.project } } })
    return (r.data ?? {}) as Style
  })
  const save = async (change: Style, fromTemplate = false) => {
    // Where a style change starts; the preview marks where it ends (bench/editor.sh reads both).
    performance.mark('cofee:style-change')
    setError('')
    const current = style() ?? {}
    // A template starts from that template's look; any other change is the whole style as it
    // is, with that one setting changed.
    const body: Style = fromTemplate ? change : { ...current, ...change }
    const r = await api.PUT('/api/projects/{id}/style', { params: { path: { id: props.project } }, body })
    if (r.error) return setError(message(r.error, r.response))
    mutate(r.data as Style)
    props.onSaved()
  }
  const template = () => {
    const name = style()?.name ?? ''
    return (presets() ?? []).find((p) => name.startsWith(p.name ?? ''))?.name ?? ''
  }
  const hex = (c: string | undefined) => (c ?? '#FFFFFF').slice(0, 7).toLowerCase()
  return (
    <section class="card stack style-panel" aria-label="Style">
      <h2>Style</h2>
      <Show when={style()}>
        <label>
          Template
          <select value={template()} onChange={(e) => void save({ base: e.currentTarget.value as Style['base'] }, true)}>
            <For each={presets() ?? []}>{(p) => <option value={p.name}>{p.name}</option>}</For>
          </select>
        </label>
        <div class="row">
          <label>
            Text colour
            <input type="color" value={hex(style()!.text_color)} onChange={(e) => void save({ text_color: e.currentTarget.value.toUpperCase() })} />
          </label>
          <label>
            Spoken word
            <input type="color" value={hex(style()!.active_color)} onChange={(e) => void save({ active_color: e.currentTarget.value.toUpperCase() })} />
          </label>
          <label class="check">
            <input type="checkbox" checked={!!style()!.uppercase} onChange={(e) => void save({ uppercase: e.currentTarget.checked })} />
            Uppercase
          </label>
          <label>
            Position
            <select value={style()!.position ?? 'bottom'} onChange={(e) => void save({ position: e.currentTarget.value as Style['position'] })}>
              <option value="top">top</option>
              <option value="middle">middle</option>
              <option value="bottom">bottom</option>
            </select>
          </label>
        </div>
        <label>
          Emphasised words
          <input
            name="keywords"
            placeholder="word, word"
            value={(style()!.emphasis?.keywords ?? []).join(', ')}
            onChange={(e) =>
              void save({
                emphasis: {
                  ...style()!.emphasis,
                  keywords: e.currentTarget.value.split(',').map((k) => k.trim()).filter(Boolean),
                },
              })
            }
          />
        </label>
      </Show>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
    </section>
  )
}
