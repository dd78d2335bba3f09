import { For, Show, createSignal, onMount, type JSX } from 'solid-js'
import type { Conflict } from '../editor/autosave'

/** A modal dialog: focus moves into it, Escape closes it. */
export function Dialog(props: { title: string; onClose: () => void; children: JSX.Element }) {
  let box!: HTMLDivElement
  onMount(() => (box.querySelector('input, button, select, textarea') as HTMLElement | null)?.focus())
  return (
    <div class="dialog" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div
        ref={box}
        class="card stack"
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        onKeyDown={(e) => {
          e.stopPropagation()
          if (e.key === 'Escape') props.onClose()
        }}
      >
        <h2>{props.title}</h2>
        {props.children}
      </div>
    </div>
  )
}

/** A replacement kept on the project, which later transcriptions apply (`cofee_core::replace`). */
export type Replacement = { find: string; replace: string; match_case?: boolean }

const sameFind = (a: Replacement, b: Replacement) => a.find.toLocaleLowerCase() === b.find.toLocaleLowerCase()

export function FindReplace(props: {
  onReplace: (find: string, replace: string, matchCase: boolean) => number
  /**
   * The project's remembered replacements (undefined until they have loaded: nothing can be
   * remembered or forgotten before, or the list would be written over), and how to save a new
   * list (an error message, or nothing).
   */
  remembered: Replacement[] | undefined
  onRemember: (list: Replacement[]) => Promise<string | undefined>
  onClose: () => void
}) {
  const [result, setResult] = createSignal('')
  let find!: HTMLInputElement
  let replace!: HTMLInputElement
  let matchCase!: HTMLInputElement
  let remember!: HTMLInputElement
  const save = async (list: Replacement[], done: string) => {
    const error = await props.onRemember(list)
    setResult(error ? `${done} Not remembered: ${error}` : done)
  }
  return (
    <Dialog title="Find and replace" onClose={props.onClose}>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault()
          const kept: Replacement = { find: find.value.trim(), replace: replace.value.trim(), match_case: matchCase.checked }
          const n = props.onReplace(kept.find, kept.replace, kept.match_case ?? false)
          const done = n === 1 ? 'Replaced 1 word.' : `Replaced ${n} words.`
          if (!remember.checked) return setResult(done)
          const list = props.remembered
          if (!list) return setResult(`${done} Not remembered: the project’s list has not loaded.`)
          void save([...list.filter((r) => !sameFind(r, kept)), kept], `${done} Remembered for this project.`)
        }}
      >
        <label>
          Find
          <input ref={find} required pattern="\S+" title="One word" />
        </label>
        <label>
          Replace with
          <input ref={replace} />
        </label>
        <label class="check">
          <input ref={matchCase} type="checkbox" />
          Match case
        </label>
        <label class="check">
          <input ref={remember} type="checkbox" disabled={!props.remembered} />
          Remember for this project (later transcriptions apply it too)
        </label>
        <p role="status">{result()}</p>
        <div class="row">
          <button type="submit">Replace all</button>
          <button type="button" class="secondary" onClick={props.onClose}>
            Close
          </button>
        </div>
      </form>
      <Show when={(props.remembered?.length ?? 0) > 0}>
        <section class="stack" aria-label="Remembered replacements">
          <h3>Remembered for this project</h3>
          <ul class="plain remembered">
            <For each={props.remembered ?? []}>
              {(r) => (
                <li class="row">
                  <span>
                    <b>{r.find}</b> → {r.replace || <i>(deleted)</i>}
                    {r.match_case ? <span class="muted"> (match case)</span> : null}
                  </span>
                  <button
                    type="button"
                    class="secondary push"
                    aria-label={`Forget ${r.find} → ${r.replace}`}
                    onClick={() => void save((props.remembered ?? []).filter((x) => x !== r), `Forgot “${r.find}”.`)}
                  >
                    Forget
                  </button>
                </li>
              )}
            </For>
          </ul>
        </section>
      </Show>
    </Dialog>
  )
}

export const SHORTCUTS: [string, string][] = [
  ['Space', 'Play or pause'],
  ['← / →', 'Previous or next word'],
  ['Page Up / Page Down', 'Previous or next page'],
  ['Enter', 'Edit the selected word (a space splits it)'],
  ['Delete', 'Delete the selected word'],
  ['I', 'Insert a word after the selected one'],
  ['M', 'Merge the selected word with the next'],
  ['Shift + click, Shift + ← / →', 'Select several words (for emphasis and colour)'],
  ['E', 'Emphasise the selected words (or take their emphasis away)'],
  [':', 'Emoji on the selected word'],
  ['N / Shift + N', 'Next or previous doubtful word (low confidence)'],
  ['Shift + Enter', 'Split the page: a new page starts at the selected word'],
  ['Shift + Backspace', 'Merge the selected word’s page with the page before'],
  ['[ / ]', 'Set the selected word’s start or end at the playhead'],
  ['Alt + ← / →', 'Move the selected word by 10 ms (with Shift: 100 ms)'],
  ['P', 'Play the selected word’s page'],
  ['Ctrl + Z', 'Undo'],
  ['Ctrl + Shift + Z, Ctrl + Y', 'Redo'],
  ['Ctrl + F', 'Find and replace'],
  ['?', 'This list'],
]

export function Shortcuts(props: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={props.onClose}>
      <table>
        <tbody>
          <For each={SHORTCUTS}>
            {([keys, what]) => (
              <tr>
                <th scope="row">
                  <kbd>{keys}</kbd>
                </th>
                <td>{what}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <button type="button" class="secondary" onClick={props.onClose}>
        Close
      </button>
    </Dialog>
  )
}

const text = (d: { words: { text: string }[] }) => d.words.map((w) => w.text).join(' ')

/** Someone else saved the captions meanwhile: both versions, and the choice. */
export function ConflictDialog(props: { conflict: Conflict; onKeep: (which: 'mine' | 'theirs') => void }) {
  return (
    <Dialog title="The captions changed elsewhere" onClose={() => undefined}>
      <p>Someone (or another tab) saved these captions while you were editing. Nothing is lost: choose which version to keep.</p>
      <div class="versions">
        <section aria-label="Your version">
          <h3>Yours</h3>
          <p class="version-text">{text(props.conflict.mine)}</p>
        </section>
        <section aria-label="The saved version">
          <h3>Saved elsewhere</h3>
          <p class="version-text">{text(props.conflict.theirs)}</p>
        </section>
      </div>
      <div class="row">
        <button type="button" onClick={() => props.onKeep('mine')}>
          Keep mine
        </button>
        <button type="button" class="secondary" onClick={() => props.onKeep('theirs')}>
          Use the saved version
        </button>
      </div>
    </Dialog>
  )
}

export function SaveStatus(props: { state: string }) {
  const label: Record<string, string> = {
    saved: 'All changes saved',
    unsaved: 'Unsaved changes',
    saving: 'Saving…',
    offline: 'Offline — changes kept here, will save when back',
    conflict: 'Changed elsewhere — choose a version',
    'signed-out': 'Signed out — changes kept here',
  }
  return (
    <Show when={props.state}>
      <span class={`save-state ${props.state}`} role="status" aria-live="polite">
        {label[props.state] ?? props.state}
      </span>
    </Show>
  )
}
