import { For, Show, createEffect, createSignal, on, onCleanup } from 'solid-js'
import { api, message, type Schemas } from '../../api/client'

export type Style = Omit<Schemas['StyleInput'], 'font_file'>
export type SavedStyle = Schemas['SavedStyleView']

/** A template in the gallery: a preset (applied as its base) or a saved style (applied whole). */
export type Look = { key: string; name: string; description?: string; style: Style; saved?: SavedStyle }

const THUMB_WIDTH = 240

/**
 * Thumbnails of each look on the project's own video, drawn by the server with the libass
 * renderer the render uses (`POST …/style/frame`), at the moment `at` says; the one in use is
 * marked. Drawn again when the moment changes.
 */
export function StyleGallery(props: {
  project: string
  looks: Look[]
  current: string
  at: number
  onPick: (look: Look) => void
  onForget: (saved: SavedStyle) => void
}) {
  const [thumbs, setThumbs] = createSignal<Record<string, string>>({})
  const [error, setError] = createSignal('')
  // Each drawing is a generation: a later one (new looks, a new moment) makes the results of
  // an earlier one stale, and those are dropped as they come. Every URL made is revoked once
  // it is not shown, and all of them when the gallery goes.
  let generation = 0
  const shown = new Set<string>()
  const show = (key: string, url: string) =>
    setThumbs((t) => {
      if (t[key]) {
        URL.revokeObjectURL(t[key])
        shown.delete(t[key])
      }
      shown.add(url)
      return { ...t, [key]: url }
    })
  onCleanup(() => {
    generation++
    shown.forEach((u) => URL.revokeObjectURL(u))
  })
  const drawOne = async (look: Look, at: number, mine: number) => {
    const r = await api.POST('/api/projects/{id}/style/frame', {
      params: { path: { id: props.project } },
      body: { t: at / 1000, width: THUMB_WIDTH, style: look.style },
      parseAs: 'blob',
    })
    if (mine !== generation) return
    if (r.error || !r.data) return setError(message(r.error, r.response))
    show(look.key, URL.createObjectURL(r.data as Blob))
  }
  /** Two at a time: the server draws two frames at once per process. */
  const draw = async (looks: Look[], at: number) => {
    const mine = ++generation
    setError('')
    const queue = [...looks]
    const worker = async () => {
      for (let look = queue.shift(); look && mine === generation; look = queue.shift()) {
        await drawOne(look, at, mine).catch((e: unknown) => setError(message(e)))
      }
    }
    await Promise.all([worker(), worker()])
  }
  createEffect(on(() => [props.looks.map((l) => l.key + JSON.stringify(l.style)).join('|'), props.at] as const, () => void draw(props.looks, props.at)))
  return (
    <div class="stack">
      <ul class="gallery" aria-label="Templates">
        <For each={props.looks}>
          {(look) => (
            <li>
              <button
                type="button"
                class="look secondary"
                aria-pressed={props.current === look.key}
                title={look.description}
                onClick={() => props.onPick(look)}
              >
                <span class="thumb">
                  <Show when={thumbs()[look.key]} fallback={<span class="drawing" aria-hidden="true">Drawing…</span>}>
                    {(src) => <img src={src()} alt="" />}
                  </Show>
                </span>
                <span class="look-name">
                  <span class="visually-hidden">{look.saved ? 'My style ' : 'Template '}</span>
                  {look.name}
                </span>
              </button>
              <Show when={look.saved}>
                {(saved) => (
                  <button type="button" class="secondary danger forget" aria-label={`Delete my style ${look.name}`} onClick={() => props.onForget(saved())}>
                    ×
                  </button>
                )}
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={error()}>
        <p class="error" role="alert">
          Thumbnails: {error()}
        </p>
      </Show>
    </div>
  )
}
