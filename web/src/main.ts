// Cofee's web app: sign in, projects, upload (tus, resumable), transcribe, edit words, style
// with a live libass preview (jassub: the same renderer and the same ASS as the burn-in), render
// and download. Plain TypeScript and the DOM; the server is the source of truth for every step.

import './style.css'
import JASSUB from 'jassub'
import * as tus from 'tus-js-client'
import { api, ApiError, authHeaders, endTrace, signIn, startTrace, signOut, signedIn, type Captions, type Job, type Project } from './api'

const app = document.querySelector<HTMLElement>('#app')!
const FONTS = ['Inter-Regular.otf', 'Inter-Bold.otf', 'Inter-ExtraBold.otf', 'Inter-Black.otf'].map((f) => `/fonts/${f}`)

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith('data')) el.setAttribute(k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()), String(v))
    else (el as unknown as Record<string, unknown>)[k] = v
  }
  el.append(...children)
  return el
}

function fail(where: HTMLElement, e: unknown): void {
  where.textContent = e instanceof ApiError ? e.message : String(e)
}

function route(): void {
  const m = location.hash.match(/^#\/projects\/([0-9a-f-]+)/)
  if (!signedIn()) authScreen()
  else if (m) editor(m[1])
  else projectsScreen()
}
window.addEventListener('hashchange', route)

function authScreen(): void {
  const email = h('input', { type: 'email', placeholder: 'email', name: 'email', autocomplete: 'username' })
  const password = h('input', { type: 'password', placeholder: 'password (10+ characters)', name: 'password', autocomplete: 'current-password' })
  const error = h('p', { className: 'error' })
  const go = (register: boolean) => async () => {
    try {
      await signIn(email.value, password.value, register)
      route()
    } catch (e) { fail(error, e) }
  }
  app.replaceChildren(h('h1', {}, 'Cofee'), h('div', { className: 'card' },
    h('div', { className: 'row' }, email, password,
      h('button', { onclick: go(false), dataTestid: 'sign-in' }, 'Sign in'),
      h('button', { className: 'secondary', onclick: go(true), dataTestid: 'sign-up' }, 'Create account')),
    error))
}

async function projectsScreen(): Promise<void> {
  endTrace()
  const list = h('div')
  const name = h('input', { placeholder: 'New project name', name: 'project-name' })
  const error = h('p', { className: 'error' })
  const create = async () => {
    try {
      const { data } = await api<Project>('POST', '/api/projects', { name: name.value || 'Untitled' })
      location.hash = `#/projects/${data.id}`
    } catch (e) { fail(error, e) }
  }
  app.replaceChildren(
    h('div', { className: 'row' }, h('h1', {}, 'Your projects'), h('button', { className: 'secondary', onclick: () => { signOut(); route() } }, 'Sign out')),
    h('div', { className: 'card row' }, name, h('button', { onclick: create, dataTestid: 'create-project' }, 'New project')), error, list)
  const { data } = await api<(Project & { status: string, thumbnail_url: string | null })[]>('GET', '/api/projects')
  list.replaceChildren(...data.map((p) => h('a', { className: 'card row project', href: `#/projects/${p.id}` },
    p.thumbnail_url ? h('img', { src: p.thumbnail_url, alt: '', width: 96 }) : h('span', { className: 'thumb' }),
    h('strong', {}, p.name), h('span', { className: 'status' }, p.status))))
}

/** Follows the project's jobs over Server-Sent Events (fetch, so the token goes in a header). */
async function watchJobs(project: string, onJob: (j: Job & { job_id: string, kind: string }) => void, stop: AbortSignal): Promise<void> {
  const res = await fetch(`/api/projects/${project}/events`, { headers: authHeaders(), signal: stop })
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += value
    let i
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, i)
      buffer = buffer.slice(i + 2)
      const data = block.split('\n').find((l) => l.startsWith('data:'))
      if (data) onJob(JSON.parse(data.slice(5)))
    }
  }
}

async function editor(id: string): Promise<void> {
  startTrace()
  const stop = new AbortController()
  window.addEventListener('hashchange', () => stop.abort(), { once: true })
  const status = h('p', { dataTestid: 'status' })
  const error = h('p', { className: 'error' })
  const progress = h('progress', { max: 1, value: 0 })
  const { data: project } = await api<Project>('GET', `/api/projects/${id}`)
  const uploadBox = h('div', { className: 'card' })
  const workspace = h('div')
  app.replaceChildren(h('div', { className: 'row' }, h('a', { href: '#/' }, '← Projects'), h('h1', {}, project.name)), uploadBox, h('div', { className: 'row' }, progress, status), error, workspace)

  const jobs = new Map<string, (j: Job) => void>()
  watchJobs(id, (j) => {
    progress.value = j.progress
    status.textContent = `${j.kind}: ${j.state}${j.error ? ' — ' + j.error : ''}`
    jobs.get(j.job_id)?.(j)
  }, stop.signal).catch(() => {})
  const finished = (jobId: string) => new Promise<Job>((resolve) => jobs.set(jobId, (j) => { if (['succeeded', 'dead', 'cancelled'].includes(j.state)) resolve(j) }))

  // Upload: straight into object storage where the server hands out links (S3), else through
  // the API with tus (resumable). Drag and drop or pick a file.
  const file = h('input', { type: 'file', accept: 'video/*', name: 'video' })
  const showProgress = (sent: number, total: number) => { progress.value = sent / total; status.textContent = `uploading ${(100 * sent / total).toFixed(0)}%` }
  const startUpload = async (f: File) => {
    let link: { upload_id: string, url: string } | null = null
    try {
      link = (await api<{ upload_id: string, url: string }>('POST', `/api/projects/${id}/media/direct`, { size: f.size })).data
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) return fail(error, e)
    }
    if (link) {
      try {
        await putWithProgress(link.url, f, showProgress)
        status.textContent = 'checking the video'
        await api('POST', `/api/projects/${id}/media/direct/${link.upload_id}/complete`, { file_name: f.name })
        status.textContent = 'uploaded'
        showWorkspace()
      } catch (e) { fail(error, e) }
      return
    }
    const upload = new tus.Upload(f, {
      endpoint: '/api/uploads',
      headers: authHeaders(),
      metadata: { project_id: id, filename: f.name },
      chunkSize: 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000],
      onProgress: showProgress,
      onError: (e) => fail(error, e),
      onSuccess: () => { status.textContent = 'uploaded'; showWorkspace() },
    })
    upload.start()
  }
  file.onchange = () => file.files?.[0] && startUpload(file.files[0])
  uploadBox.ondragover = (e) => e.preventDefault()
  uploadBox.ondrop = (e) => { e.preventDefault(); const f = e.dataTransfer?.files[0]; if (f) startUpload(f) }
  uploadBox.replaceChildren(h('div', { className: 'row' }, 'Drop a video here or ', file))

  async function showWorkspace(): Promise<void> {
    let media
    try { media = (await api<{ width: number, height: number }>('GET', `/api/projects/${id}/media`)).data } catch { return }
    const { data: source } = await api<{ url: string }>('GET', `/api/projects/${id}/media/url`)
    const video = h('video', { src: source.url, controls: true, muted: true, playsInline: true, preload: 'auto', dataTestid: 'video' })
    const canvas = h('canvas', { dataTestid: 'preview' })
    const player = h('div', { className: 'player' }, video, canvas)
    const words = h('div', { className: 'words', dataTestid: 'words' })
    const text = h('textarea', { name: 'transcript' })
    const presetSelect = h('select', { name: 'preset' })
    const color = h('input', { type: 'color', name: 'text-color', value: '#ffffff' })
    const active = h('input', { type: 'color', name: 'active-color', value: '#ffe600' })
    const upper = h('input', { type: 'checkbox', name: 'uppercase' })
    const font = h('select', { name: 'font' }, ...['Inter', 'Inter ExtraBold', 'Inter Black'].map((f) => h('option', { value: f }, f)))
    const size = h('input', { type: 'range', min: '2', max: '10', step: '0.2', name: 'font-size' })
    const position = h('select', { name: 'position' }, ...['top', 'middle', 'bottom'].map((p) => h('option', { value: p }, p)))
    const perLine = h('select', { name: 'words-per-line' }, h('option', { value: '' }, 'any'), ...[1, 2, 3, 4, 5, 6].map((n) => h('option', { value: String(n) }, String(n))))
    const animation = h('select', { name: 'animation' }, ...['none', 'pop', 'fade'].map((a) => h('option', { value: a }, a)))
    const keywords = h('input', { name: 'keywords', placeholder: 'emphasise: word, word' })
    const downloads = h('div', { className: 'row' })
    let etag = ''
    let captions: Captions = { words: [] }
    let selected = -1
    let jassub: JASSUB | null = null
    // Re-timing the selected word (seconds), saved as word JSON.
    const wordStart = h('input', { type: 'number', step: '0.01', min: '0', name: 'word-start' })
    const wordEnd = h('input', { type: 'number', step: '0.01', min: '0', name: 'word-end' })
    const wordLabel = h('strong', {}, '')
    const timing = h('div', { className: 'card row', hidden: true }, wordLabel, ' from ', wordStart, ' to ', wordEnd,
      h('button', { className: 'secondary', onclick: () => { wordStart.value = video.currentTime.toFixed(2) } }, 'start here'),
      h('button', { className: 'secondary', onclick: () => { wordEnd.value = video.currentTime.toFixed(2) } }, 'end here'),
      h('button', { onclick: () => saveTiming(), dataTestid: 'save-timing' }, 'Save timing'))

    const loadAss = async () => {
      const res = await fetch(`/api/projects/${id}/captions.ass`, { headers: authHeaders() })
      if (!res.ok) return
      const ass = await res.text()
      if (!jassub) {
        jassub = new JASSUB({ video, canvas, subContent: ass, fonts: FONTS, queryFonts: false })
        await jassub.ready
      } else {
        await jassub.ready // the first load may still be compiling the WebAssembly
        await jassub.renderer.setTrack(ass)
        await jassub.resize(true) // repaint now, even while paused
      }
    }
    const loadCaptions = async () => {
      const res = await fetch(`/api/projects/${id}/captions`, { headers: authHeaders() })
      if (!res.ok) return false
      etag = res.headers.get('etag') ?? ''
      captions = await res.json()
      text.value = captions.words.map((w) => w.text).join(' ')
      words.replaceChildren(...captions.words.map((w, i) => h('span', { onclick: () => select(i), title: `${w.start.toFixed(2)}–${w.end.toFixed(2)} s` }, w.text, ' ')))
      video.ontimeupdate = () => captions.words.forEach((w, i) => words.children[i]?.classList.toggle('active', video.currentTime >= w.start && video.currentTime < w.end))
      await loadAss()
      return true
    }
    const select = (i: number) => {
      const w = captions.words[i]
      selected = i
      video.currentTime = w.start + 0.01
      wordLabel.textContent = w.text
      wordStart.value = w.start.toFixed(2)
      wordEnd.value = w.end.toFixed(2)
      timing.hidden = false
    }
    const saveTiming = async () => {
      const words = captions.words.map((w, i) => i === selected ? { ...w, start: Number(wordStart.value), end: Number(wordEnd.value) } : w)
      try {
        const { res } = await api('PUT', `/api/projects/${id}/captions`, { ...captions, words }, { 'if-match': etag })
        etag = res.headers.get('etag') ?? etag
        await loadCaptions()
      } catch (e) { fail(error, e) }
    }
    const saveText = async () => {
      try {
        const { res } = await api('PUT', `/api/projects/${id}/captions`, { text: text.value }, { 'if-match': etag })
        etag = res.headers.get('etag') ?? etag
        await loadCaptions()
      } catch (e) { fail(error, e) }
    }
    type StyleView = { name: string, uppercase: boolean, text_color: string, active_color: string, font_family: string, font_size: number, position: string, words_per_line?: number, animation: string, emphasis: { keywords: string[] } }
    const showStyle = (s: StyleView) => {
      upper.checked = s.uppercase
      color.value = s.text_color.slice(0, 7).toLowerCase()
      active.value = s.active_color.slice(0, 7).toLowerCase()
      font.value = s.font_family
      size.value = String(s.font_size)
      position.value = s.position
      perLine.value = s.words_per_line ? String(s.words_per_line) : ''
      animation.value = s.animation
      keywords.value = s.emphasis.keywords.join(', ')
    }
    // A new preset starts from that preset's look; the other controls override it.
    const saveStyle = async (fromPreset: boolean) => {
      try {
        const body = fromPreset ? { base: presetSelect.value } : {
          base: presetSelect.value, text_color: color.value.toUpperCase(), active_color: active.value.toUpperCase(), uppercase: upper.checked,
          font_family: font.value, font_size: Number(size.value), position: position.value, words_per_line: perLine.value ? Number(perLine.value) : null,
          animation: animation.value, emphasis: { keywords: keywords.value.split(',').map((k) => k.trim()).filter(Boolean) },
        }
        const { data } = await api<StyleView>('PUT', `/api/projects/${id}/style`, body)
        showStyle(data)
        await loadAss()
      } catch (e) { fail(error, e) }
    }
    const transcribe = async () => {
      const { data } = await api<{ job_id: string }>('POST', `/api/projects/${id}/transcribe`, {})
      const j = await finished(data.job_id)
      if (j.state === 'succeeded') await loadCaptions()
    }
    const render = async () => {
      const { data } = await api<{ job_id: string, render_id: string }>('POST', `/api/projects/${id}/renders`, { preset: 'veryfast' })
      const j = await finished(data.job_id)
      if (j.state !== 'succeeded') return
      const { data: link } = await api<{ url: string }>('GET', `/api/renders/${data.render_id}/url`)
      downloads.replaceChildren(h('a', { href: link.url, download: `${project.name}.mp4`, dataTestid: 'download-mp4' }, 'Download MP4'),
        ...['srt', 'vtt', 'ass', 'json'].map((f) => h('button', { className: 'secondary', onclick: () => exportFile(f) }, f.toUpperCase())))
    }
    const exportFile = async (format: string) => {
      const res = await fetch(`/api/projects/${id}/captions.${format}`, { headers: authHeaders() })
      const a = h('a', { href: URL.createObjectURL(await res.blob()), download: `${project.name}.${format}` })
      a.click()
    }
    const { data: presets } = await api<{ name: string }[]>('GET', '/api/styles')
    const { data: style } = await api<StyleView>('GET', `/api/projects/${id}/style`)
    presetSelect.replaceChildren(...presets.map((p) => h('option', { value: p.name, selected: style.name.startsWith(p.name) }, p.name)))
    showStyle(style)
    presetSelect.onchange = () => saveStyle(true)
    for (const c of [color, active, upper, font, size, position, perLine, animation, keywords]) c.onchange = () => saveStyle(false)

    workspace.replaceChildren(h('div', { className: 'editor' },
      h('div', {}, player, h('p', {}, `${media.width}×${media.height} — space plays/pauses, ←/→ jump between words`)),
      h('div', {},
        h('div', { className: 'card row' }, h('button', { onclick: transcribe, dataTestid: 'transcribe' }, 'Transcribe'), h('button', { onclick: render, dataTestid: 'render' }, 'Render')),
        h('div', { className: 'card row' }, 'Style ', presetSelect, font, h('label', {}, 'size ', size), position,
          h('label', {}, 'text ', color), h('label', {}, 'spoken ', active), h('label', {}, upper, ' uppercase'),
          h('label', {}, 'words/line ', perLine), h('label', {}, 'animation ', animation), keywords),
        h('div', { className: 'card' }, words, text, h('button', { onclick: saveText, dataTestid: 'save-text' }, 'Save text')),
        timing,
        downloads)))
    document.onkeydown = (e) => {
      if (e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLInputElement) return
      if (e.key === ' ') { e.preventDefault(); video.paused ? video.play() : video.pause() }
      const spans = [...words.querySelectorAll('span')]
      const i = spans.findIndex((s) => s.classList.contains('active'))
      const at = i >= 0 ? i : selected
      if (e.key === 'ArrowRight' && spans[at + 1]) (spans[at + 1] as HTMLElement).click()
      if (e.key === 'ArrowLeft' && at > 0) (spans[at - 1] as HTMLElement).click()
    }
    await loadCaptions()
  }
  await showWorkspace()
}

route()

/// A PUT of a whole file to a presigned storage URL, reporting progress (fetch cannot report
/// upload progress; XMLHttpRequest can).
function putWithProgress(url: string, f: File, onProgress: (sent: number, total: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', url)
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded, e.total)
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`the storage refused the upload (${xhr.status})`)))
    xhr.onerror = () => reject(new Error('the upload to storage failed (network, or the bucket lacks a CORS rule for this site)'))
    xhr.send(f)
  })
}
