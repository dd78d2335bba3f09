import { For, Show, createMemo, createSignal } from 'solid-js'
import { fill, search, svgPath, type EmojiEntry } from '../editor/emoji'
import { Dialog } from './Dialogs'

/** An emoji drawn from the same drawing the captions burn in (decorative: its name says it). */
export function EmojiDrawing(props: { entry: EmojiEntry; size: number }) {
  return (
    <svg class="emoji-drawing" viewBox="0 0 360 360" width={props.size} height={props.size} aria-hidden="true">
      <For each={props.entry.layers}>{(l) => <path d={svgPath(l.drawing)} fill={fill(l.color).fill} fill-opacity={fill(l.color).opacity} />}</For>
    </svg>
  )
}

/**
 * Picks the emoji shown above the page from the selected word on, or takes it away; and adds
 * emoji from the words to every page that has none.
 */
export function EmojiPicker(props: {
  catalogue: EmojiEntry[] | undefined
  word: { text: string; emoji?: string } | undefined
  onPick: (emoji: string | undefined) => void
  onSuggest: () => number
  onClose: () => void
}) {
  const [query, setQuery] = createSignal('')
  const [added, setAdded] = createSignal('')
  const shown = createMemo(() => search(props.catalogue ?? [], query()))
  return (
    <Dialog title="Emoji" onClose={props.onClose}>
      <Show when={props.word} fallback={<p class="muted">Select a word to put an emoji on it.</p>}>
        {(w) => <p class="muted">Shown above the page from “{w().text}” on.</p>}
      </Show>
      <label>
        Search emoji
        <input type="search" value={query()} onInput={(e) => setQuery(e.currentTarget.value)} placeholder="fire, money, idea…" />
      </label>
      <Show when={props.catalogue} fallback={<p class="muted" role="status">Loading the emoji…</p>}>
        <div class="emoji-grid" role="group" aria-label="Emoji">
          <For each={shown()} fallback={<p class="muted">No emoji called “{query()}”.</p>}>
            {(e) => (
              <button
                type="button"
                class="emoji-choice"
                aria-label={e.name}
                title={`${e.name}: ${e.keywords.join(', ')}`}
                aria-pressed={props.word?.emoji === e.emoji}
                disabled={!props.word}
                onClick={() => props.onPick(e.emoji)}
              >
                <EmojiDrawing entry={e} size={32} />
              </button>
            )}
          </For>
        </div>
      </Show>
      <div class="row">
        <button type="button" class="secondary" disabled={props.word?.emoji === undefined} onClick={() => props.onPick(undefined)}>
          No emoji
        </button>
        <button
          type="button"
          class="secondary"
          disabled={!props.catalogue}
          title="On each page without an emoji, the emoji of its first word that suits one"
          onClick={() => {
            const n = props.onSuggest()
            setAdded(n === 0 ? 'No page without an emoji has a word that suits one.' : `Added ${n} emoji, one a page.`)
          }}
        >
          Add emoji from the words
        </button>
      </div>
      <p class="muted" role="status">{added()}</p>
      <div class="row">
        <button type="button" onClick={props.onClose}>Done</button>
      </div>
    </Dialog>
  )
}
