import { For, Show, createResource, createSignal } from 'solid-js'
import { api, message, sessionFetch, type Schemas } from '../api/client'
import { finished, type JobEvent } from '../editor/jobs'
import { size, when } from '../format'

type RenderView = Schemas['RenderView']

const STATES: Record<string, string> = { queued: 'Waiting', running: 'Rendering', succeeded: 'Done', dead: 'Failed', cancelled: 'Cancelled' }

/**
 * Render the video with its captions burned in; the project's renders (state, progress, preset,
 * size, when) with a download for each finished one and a cancel for each unfinished one; the
 * caption files.
 */
export function RenderPanel(props: { project: string; name: string; beforeRender: () => Promise<void>; job: (id: string) => Promise<JobEvent>; progress: (id: string) => number }) {
  const [error, setError] = createSignal('')
  const [running, setRunning] = createSignal<string | null>(null)
  const [link, setLink] = createSignal<string | null>(null)
  const [history, { refetch }] = createResource(async () => (await api.GET('/api/projects/{id}/renders', { params: { path: { id: props.project } } })).data ?? [])
  const render = async () => {
    setError('')
    setLink(null)
    await props.beforeRender()
    const r = await api.POST('/api/projects/{id}/renders', { params: { path: { id: props.project } }, body: { preset: 'veryfast' } })
    if (r.error) return setError(message(r.error, r.response))
    setRunning(r.data.job_id)
    void refetch()
    const end = await props.job(r.data.job_id)
    setRunning(null)
    void refetch()
    if (end.state !== 'succeeded') return setError(`The render ${end.state}${end.error ? `: ${end.error}` : ''}`)
    const url = await api.GET('/api/renders/{id}/url', { params: { path: { id: r.data.render_id } } })
    if (url.error) return setError(message(url.error, url.response))
    setLink(url.data.url)
  }
  const cancel = async (r: RenderView) => {
    const res = await api.POST('/api/jobs/{id}/cancel', { params: { path: { id: r.job_id } } })
    if (res.error) setError(message(res.error, res.response))
    void refetch()
  }
  /** A finished render's file, through a short-lived signed link. */
  const save = async (r: RenderView) => {
    const url = await api.GET('/api/renders/{id}/url', { params: { path: { id: r.id } } })
    if (url.error) return setError(message(url.error, url.response))
    const a = document.createElement('a')
    a.href = url.data.url
    a.download = `${props.name}.mp4`
    a.click()
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
      <Show when={(history() ?? []).length > 0}>
        <table class="renders" aria-label="Renders">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Preset</th>
              <th scope="col">State</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={[...(history() ?? [])].reverse()}>
              {(r) => {
                // The render this panel started shows its live progress (job events) until the
                // list is read again at its end.
                const mine = () => running() === r.job_id
                const state = () => (mine() && props.progress(r.job_id) > 0 ? 'running' : r.state)
                const live = () => state() === 'queued' || state() === 'running'
                const pct = () => Math.round((mine() ? props.progress(r.job_id) : r.progress) * 100)
                return (
                  <tr>
                    <td>{when(r.created_at)}</td>
                    <td>{r.preset}</td>
                    <td title={r.error ?? undefined}>
                      {STATES[state()] ?? state()}
                      {state() === 'running' ? ` ${pct()} %` : ''}
                    </td>
                    <td>{r.size_bytes ? size(r.size_bytes) : '–'}</td>
                    <td>
                      <Show when={state() === 'succeeded'}>
                        <button type="button" class="secondary" onClick={() => void save(r)} aria-label={`Download the render of ${when(r.created_at)}`}>
                          Download
                        </button>
                      </Show>
                      <Show when={live()}>
                        <button type="button" class="secondary danger" onClick={() => void cancel(r)} aria-label={`Cancel the render of ${when(r.created_at)}`}>
                          Cancel
                        </button>
                      </Show>
                    </td>
                  </tr>
                )
              }}
            </For>
          </tbody>
        </table>
      </Show>
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
