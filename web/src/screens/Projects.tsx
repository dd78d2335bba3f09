import { For, Show, createMemo, createResource, createSignal } from 'solid-js'
import { api, message, type Schemas } from '../api/client'
import { signOut } from '../api/session'
import { endTrace } from '../api/trace'
import { handOver } from '../uploads'
import { when } from '../format'

type Item = Schemas['ProjectListItem']

const length = (secs: number) => `${Math.floor(secs / 60)}:${String(Math.round(secs % 60)).padStart(2, '0')}`

/** The person's projects: search, create, rename, delete; drop a video anywhere to start one. */
export function Projects() {
  endTrace()
  const [error, setError] = createSignal('')
  const [query, setQuery] = createSignal('')
  const [dragging, setDragging] = createSignal(false)
  const [list, { refetch }] = createResource(async () => {
    const r = await api.GET('/api/projects')
    if (r.error) throw new Error(message(r.error, r.response))
    return r.data
  })
  const shown = createMemo(() => (list() ?? []).filter((p) => p.name.toLowerCase().includes(query().trim().toLowerCase())))
  let name!: HTMLInputElement

  const create = async (projectName: string, file?: File) => {
    setError('')
    const r = await api.POST('/api/projects', { body: { name: projectName || 'Untitled' } })
    if (r.error) return setError(message(r.error, r.response))
    if (file) handOver(r.data.id, file)
    location.hash = `#/projects/${r.data.id}`
  }
  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setDragging(false)
    const file = [...(e.dataTransfer?.files ?? [])].find((f) => f.type.startsWith('video/') || /\.(mp4|mov|mkv|webm|avi)$/i.test(f.name))
    if (file) void create(file.name.replace(/\.[^.]+$/, ''), file)
    else setError('Drop a video file (MP4, MOV, MKV, WebM or AVI).')
  }
  return (
    <main
      class="projects"
      classList={{ dragging: dragging() }}
      onDragOver={(e) => {
        e.preventDefault()
        setDragging(true)
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <header class="row">
        <h1>Your projects</h1>
        <a href="#/account" class="push">
          Account
        </a>
        <button type="button" class="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <form
        class="card row"
        onSubmit={(e) => {
          e.preventDefault()
          void create(name.value.trim())
        }}
      >
        <label class="grow">
          New project
          <input ref={name} name="project-name" placeholder="Name, e.g. Launch video" maxLength={200} />
        </label>
        <button type="submit">Create project</button>
      </form>
      <Show when={error()}>
        <p class="error" role="alert">
          {error()}
        </p>
      </Show>
      <Show when={(list()?.length ?? 0) > 0}>
        <label class="search">
          Search projects
          <input type="search" value={query()} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
      </Show>
      <Show
        when={(list()?.length ?? 0) > 0}
        fallback={
          <Show when={list.state === 'ready'}>
            <section class="empty card" aria-label="No projects yet">
              <h2>No projects yet</h2>
              <p>Drop a video anywhere on this page, or name a project above and upload one in it. Cofee transcribes it, you fix the words, pick a look and render.</p>
            </section>
          </Show>
        }
      >
        <ul class="cards" aria-label="Projects">
          <For each={shown()}>{(p) => <ProjectCard project={p} onChange={refetch} onError={setError} />}</For>
        </ul>
      </Show>
      <Show when={dragging()}>
        <div class="drop-hint" aria-hidden="true">
          Drop the video to start a project
        </div>
      </Show>
    </main>
  )
}

function ProjectCard(props: { project: Item; onChange: () => void; onError: (m: string) => void }) {
  const [renaming, setRenaming] = createSignal(false)
  const [confirming, setConfirming] = createSignal(false)
  const p = () => props.project
  const rename = async (value: string) => {
    setRenaming(false)
    if (!value.trim() || value === p().name) return
    const r = await api.PATCH('/api/projects/{id}', { params: { path: { id: p().id } }, body: { name: value.trim() } })
    if (r.error) props.onError(message(r.error, r.response))
    props.onChange()
  }
  const remove = async () => {
    setConfirming(false)
    const r = await api.DELETE('/api/projects/{id}', { params: { path: { id: p().id } } })
    if (r.error) props.onError(message(r.error, r.response))
    props.onChange()
  }
  return (
    <li class="card project">
      <a href={`#/projects/${p().id}`} class="thumb" aria-label={`Open ${p().name}`}>
        <Show when={p().thumbnail_url} fallback={<span class="no-video">No video yet</span>}>
          <img src={p().thumbnail_url!} alt="" loading="lazy" />
        </Show>
      </a>
      <div class="meta">
        <Show
          when={renaming()}
          fallback={
            <a href={`#/projects/${p().id}`} class="name">
              {p().name}
            </a>
          }
        >
          <input
            aria-label={`New name for ${p().name}`}
            value={p().name}
            ref={(el) => queueMicrotask(() => el.select())}
            onKeyDown={(e) => {
              if (e.key === 'Enter') void rename(e.currentTarget.value)
              if (e.key === 'Escape') setRenaming(false)
            }}
            onBlur={(e) => void rename(e.currentTarget.value)}
          />
        </Show>
        <div class="row">
          <span class={`status ${p().status}`}>{p().status}</span>
          <Show when={p().duration_secs != null}>
            <span class="muted" aria-label="Length">
              {length(p().duration_secs!)}
            </span>
          </Show>
        </div>
        <span class="muted">Changed {when(p().updated_at)}</span>
      </div>
      <div class="row actions">
        <button type="button" class="secondary" onClick={() => setRenaming(true)} aria-label={`Rename ${p().name}`}>
          Rename
        </button>
        <button type="button" class="secondary danger" onClick={() => setConfirming(true)} aria-label={`Delete ${p().name}`}>
          Delete
        </button>
      </div>
      <Show when={confirming()}>
        <div role="alertdialog" aria-modal="true" aria-label={`Delete ${p().name}?`} class="dialog">
          <div class="card stack">
            <p>
              Delete <strong>{p().name}</strong> with its video, captions and renders? This cannot be undone.
            </p>
            <div class="row">
              <button type="button" class="danger" onClick={() => void remove()}>
                Delete project
              </button>
              <button type="button" class="secondary" onClick={() => setConfirming(false)} ref={(el) => queueMicrotask(() => el.focus())}>
                Cancel
              </button>
            </div>
          </div>
        </div>
      </Show>
    </li>
  )
}
