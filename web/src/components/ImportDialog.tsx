import { For, Show, createSignal } from 'solid-js'
import { message, sessionFetch, type Schemas } from '../api/client'
import { Dialog } from './Dialogs'

export type ImportReport = Schemas['ImportReport']

/**
 * The encodings a caption file from the wild comes in, by the names the server takes (the
 * WHATWG encoding names browsers know), as players name them in their "subtitle encoding" setting.
 */
const ENCODINGS: [encoding: string, name: string][] = [
  ['', 'Detect automatically'],
  ['utf-8', 'Unicode (UTF-8)'],
  ['windows-1252', 'Western European (Windows-1252)'],
  ['windows-1250', 'Central European (Windows-1250)'],
  ['iso-8859-2', 'Central European (ISO-8859-2)'],
  ['windows-1251', 'Cyrillic (Windows-1251)'],
  ['koi8-r', 'Cyrillic (KOI8-R)'],
  ['windows-1253', 'Greek (Windows-1253)'],
  ['windows-1254', 'Turkish (Windows-1254)'],
  ['windows-1255', 'Hebrew (Windows-1255)'],
  ['windows-1256', 'Arabic (Windows-1256)'],
  ['windows-1257', 'Baltic (Windows-1257)'],
  ['windows-1258', 'Vietnamese (Windows-1258)'],
  ['windows-874', 'Thai (Windows-874)'],
  ['gbk', 'Chinese Simplified (GBK, GB2312)'],
  ['big5', 'Chinese Traditional (Big5)'],
  ['shift_jis', 'Japanese (Shift_JIS)'],
  ['euc-kr', 'Korean (EUC-KR)'],
  ['utf-16le', 'Unicode (UTF-16LE, no byte-order mark)'],
]

/**
 * Brings an SRT or WebVTT file (or Cofee word JSON) from elsewhere into the project, in whatever
 * encoding it was saved: its words and times replace the captions, or its text is aligned with
 * the words there are, which keep their times. Each cue becomes a page. The file is read as soon
 * as it is chosen (a preview the server saves nothing of): its first cues show whether the
 * letters came out right, and the encoding can be named where detection guessed wrong.
 */
export function ImportDialog(props: {
  project: string
  /** The version the import replaces (pending edits saved first), `"v0"` when there are no captions. */
  base: () => Promise<string>
  hasWords: boolean
  onImported: (report: ImportReport) => void
  onClose: () => void
}) {
  const [error, setError] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [preview, setPreview] = createSignal<ImportReport | null>(null)
  const [encoding, setEncoding] = createSignal('')
  const [retime, setRetime] = createSignal(false)
  let file!: HTMLInputElement
  /** Answers to earlier previews are dropped when a later one was asked for. */
  let asked = 0

  const query = (previewOnly: boolean) => {
    const q = new URLSearchParams({ mode: props.hasWords && retime() ? 'retime' : 'replace' })
    if (encoding()) q.set('encoding', encoding())
    if (previewOnly) q.set('preview', 'true')
    return `/api/projects/${props.project}/captions/import?${q}`
  }

  const send = async (chosen: File, previewOnly: boolean) => {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' }
    if (!previewOnly) headers['if-match'] = await props.base()
    const res = await sessionFetch(query(previewOnly), { method: 'POST', headers, body: chosen })
    const body = await res.json().catch(() => null)
    const answer: { ok: true; report: ImportReport } | { ok: false; problem: string } = res.ok
      ? { ok: true, report: body as ImportReport }
      : { ok: false, problem: message(body, res) }
    return answer
  }

  const read = async () => {
    const chosen = file.files?.[0]
    const mine = ++asked
    setPreview(null)
    setError('')
    if (!chosen) return
    try {
      const answer = await send(chosen, true)
      if (mine !== asked) return
      if (answer.ok) setPreview(answer.report)
      else setError(answer.problem)
    } catch (e) {
      if (mine === asked) setError(`The file could not be read: ${(e as Error).message}`)
    }
  }

  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    const chosen = file.files?.[0]
    if (!chosen) return setError('Choose a captions file first.')
    // A preview still on its way must not overwrite what the import answers.
    ++asked
    setError('')
    setBusy(true)
    try {
      const answer = await send(chosen, false)
      if (answer.ok) props.onImported(answer.report)
      else setError(answer.problem)
    } catch (e) {
      setError(`The import did not reach the server: ${(e as Error).message}`)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Dialog title="Import captions" onClose={props.onClose}>
      <form class="stack" onSubmit={submit}>
        <p>An SRT or WebVTT file from another tool, in any encoding. Each of its cues becomes a page.</p>
        <label>
          Captions file
          <input ref={file} type="file" accept=".srt,.vtt,.json,text/vtt,application/x-subrip" onChange={() => {
            // Another file: its own encoding, detected until the user names one.
            setEncoding('')
            void read()
          }} />
        </label>
        <label>
          Text encoding
          <select
            value={encoding()}
            onChange={(e) => {
              setEncoding(e.currentTarget.value)
              void read()
            }}
          >
            <For each={ENCODINGS}>{([value, name]) => <option value={value}>{name}</option>}</For>
          </select>
        </label>
        <Show when={preview()}>
          {(r) => <ImportPreview report={r()} />}
        </Show>
        <Show when={props.hasWords}>
          <fieldset class="stack">
            <legend>The words there are</legend>
            <label class="check">
              <input type="radio" name="import-mode" checked={!retime()} onChange={() => { setRetime(false); void read() }} />
              Replace them with the file’s words and times
            </label>
            <label class="check">
              <input type="radio" name="import-mode" checked={retime()} onChange={() => { setRetime(true); void read() }} />
              Keep their times: take the file’s text and pages, aligned with them
            </label>
          </fieldset>
        </Show>
        <p class="error" role="alert">
          {error()}
        </p>
        <div class="row">
          <button type="submit" disabled={busy()}>
            Import
          </button>
          <button type="button" class="secondary" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  )
}

/** What the file holds, read as the import would read it: encoding, counts, its first cues. */
function ImportPreview(props: { report: ImportReport }) {
  const r = () => props.report
  return (
    <section class="import-preview stack" aria-label="Preview">
      <p>
        Read as <strong>{r().encoding}</strong>
        {r().encoding_detected ? ' (detected)' : ''}: {pages(r().cues)}, {r().words} words.
      </p>
      <ol class="import-sample" aria-label="First cues">
        <For each={r().sample}>{(text) => <li>{text}</li>}</For>
      </ol>
      <Show when={r().skipped.length > 0}>
        <p class="muted">Skipped as a player would skip them: {r().skipped.join('; ')}</p>
      </Show>
      <Show when={r().encoding_detected}>
        <p class="muted">Letters look wrong? Choose the file’s text encoding above.</p>
      </Show>
    </section>
  )
}

const pages = (n: number) => (n === 1 ? '1 page' : `${n} pages`)

/** The report in words: "Imported 2 pages, 6 words (windows-1252, detected). Skipped 1 block: …". */
export function describeImport(r: ImportReport): string {
  const encoding = r.encoding_detected ? `${r.encoding}, detected` : r.encoding
  const skipped = r.skipped.length ? ` Skipped ${r.skipped.length === 1 ? '1 block' : `${r.skipped.length} blocks`}: ${r.skipped.join('; ')}` : ''
  return `Imported ${pages(r.cues)}, ${r.words} words (${encoding}).${skipped}`
}
