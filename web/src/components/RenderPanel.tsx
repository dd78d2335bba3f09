import { For, Show, createSignal } from 'solid-js'
import { api, message, sessionFetch } from '../api/client'
import { finished, type JobEvent } from '../editor/jobs'

/** Render the video with its captions burned in; download it and the caption files. */
export function RenderPanel(props: { project: string; name: string; beforeRender: () => Promise<void>; job: (id: string) => Promise<JobEvent>; progress: (id: string) => number }) {
  const [error, setError] = createSignal('')
  const [running, setRunning] = createSignal<string | null>(null)
  const [link, setLink] = createSignal<string | null>(null)
  const render = async () => {
    setError('')
    setLink(null)
    await props.beforeRender()
    const r = await api.POST('/api/projects/{id}/renders', { params: { path: { id: props.project } }, body: { preset: 'veryfast' } })
    if (r.error) return setError(message(r.error, r.response))
    setRunning(r.data.job_id)
    const end = await props.job(r.data.job_id)
    setRunning(null)
    if (end.state !== 'succeeded') return setError(`The render ${end.state}${end.error ? `: ${end.error}` : ''}`)
    const url = await api.GET('/api/renders/{id}/url', { params: { path: { id: r.data.render_id } } })
    if (url.error) return setError(message(url.error, url.response))
    setLink(url.data.url)
  }
  const download = async (format: string) => {
    const res = await sessionFetch(`/api/projects/${props.project}/captions.${format}`)
    if (!res.ok) return setError(`The ${format.toUpperCase()} export failed (${res.status})`)
    const a = document.createElement('a')
    a.href = URL.createObjectURL(await res.blob())
    a.download = `${props.name}.${format}`
    a.click()
    URL.revokeObjectURL(a.href)
  }
  return (
    <section class="card stack" aria-label="Render and download">
      <h2>Render</h2>
      <div class="row">
        <button type="button" onClick={() => void render()} disabled={running() !== null}>
          Render
        </button>
        <Show when={running()}>
          {(id) => (
            <progress aria-label="Render progress" max="1" value={props.progress(id())}>
              {Math.round(props.progress(id()) * 100)}%
            </progress>
          )}
        </Show>
        <Show when={link()}>
          <a class="button" href={link()!} download={`${props.name}.mp4`}>
            Download MP4
          </a>
        </Show>
      </div>
      <div class="row">
        <span class="muted">Captions:</span>
        <For each={['srt', 'vtt', 'ass', 'json']}>
          {(f) => (
            <button type="button" class="secondary" onClick={() => void download(f)} aria-label={`Download ${f.toUpperCase()}`}>
              {f.toUpperCase()}
            </button>
          )}
        </For>
      </div>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
    </section>
  )
}
