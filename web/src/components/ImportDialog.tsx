import { Show, createSignal } from 'solid-js'
import { message, sessionFetch, type Schemas } from '../api/client'
import { Dialog } from './Dialogs'

export type ImportReport = Schemas['ImportReport']

/**
 * Brings an SRT or WebVTT file (or Cofee word JSON) from elsewhere into the project, in whatever
 * encoding it was saved: its words and times replace the captions, or its text is aligned with
 * the words there are, which keep their times. Each cue becomes a page.
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
  let file!: HTMLInputElement
  let retime!: HTMLInputElement
  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    const chosen = file.files?.[0]
    if (!chosen) return setError('Choose a captions file first.')
    setError('')
    setBusy(true)
    try {
      const mode = props.hasWords && retime.checked ? 'retime' : 'replace'
      const res = await sessionFetch(`/api/projects/${props.project}/captions/import?mode=${mode}`, {
        method: 'POST',
        headers: { 'if-match': await props.base(), 'content-type': 'application/octet-stream' },
        body: chosen,
      })
      const body = await res.json().catch(() => null)
      if (!res.ok) return setError(message(body, res))
      props.onImported(body as ImportReport)
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
          <input ref={file} type="file" accept=".srt,.vtt,.json,text/vtt,application/x-subrip" />
        </label>
        <Show when={props.hasWords}>
          <fieldset class="stack">
            <legend>The words there are</legend>
            <label class="check">
              <input type="radio" name="import-mode" checked />
              Replace them with the file’s words and times
            </label>
            <label class="check">
              <input ref={retime} type="radio" name="import-mode" />
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

/** The report in words: "Imported 2 pages, 6 words (windows-1252, detected). Skipped 1 block: …". */
export function describeImport(r: ImportReport): string {
  const encoding = r.encoding_detected ? `${r.encoding}, detected` : r.encoding
  const skipped = r.skipped.length ? ` Skipped ${r.skipped.length === 1 ? '1 block' : `${r.skipped.length} blocks`}: ${r.skipped.join('; ')}` : ''
  return `Imported ${r.cues === 1 ? '1 page' : `${r.cues} pages`}, ${r.words} words (${encoding}).${skipped}`
}
