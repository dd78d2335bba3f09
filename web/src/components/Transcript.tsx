import { For, Index, Show, createSelector } from 'solid-js'
import type { Page } from '../editor/pages'
import type { Word } from '../editor/store'

const secs = (ms: number) => (ms / 1000).toFixed(2)

/**
 * The transcript as caption pages (the words on screen together), line by line. A click on a
 * word selects it and seeks there; a double click, or Enter, edits it in place (a space
 * splits it; an empty word is deleted).
 */
export function Transcript(props: {
  pages: Page[]
  selected: number | null
  active: number | null
  editing: number | null
  onSelect: (w: Word) => void
  onEdit: (w: Word | null) => void
  onCommit: (w: Word, text: string) => void
}) {
  const isSelected = createSelector(() => props.selected)
  const isActive = createSelector(() => props.active)
  const isEditing = createSelector(() => props.editing)
  return (
    <section class="transcript" aria-label="Transcript">
      <Index each={props.pages}>
        {(page) => (
          <div
            class="page"
            role="group"
            aria-label={`Page ${page().index + 1}, ${secs(page().startMs)} to ${secs(page().endMs)} s`}
          >
            <span class="page-time" aria-hidden="true">
              {secs(page().startMs)}
            </span>
            <For each={page().lines}>
              {(line) => (
                <div class="line">
                  <For each={line}>
                    {(w) => (
                      <Show
                        when={isEditing(w.id)}
                        fallback={
                          <button
                            type="button"
                            class="word"
                            classList={{ selected: isSelected(w.id), active: isActive(w.id), doubtful: w.confidence < 0.5 }}
                            title={`${secs(w.startMs)}–${secs(w.endMs)} s`}
                            aria-pressed={isSelected(w.id)}
                            data-word-id={w.id}
                            onClick={() => props.onSelect(w)}
                            onDblClick={() => props.onEdit(w)}
                          >
                            {w.text}
                          </button>
                        }
                      >
                        <input
                          class="word-input"
                          aria-label={`Edit word ${w.text}`}
                          value={w.text}
                          size={Math.max(2, w.text.length + 1)}
                          ref={(el) => queueMicrotask(() => el.select())}
                          onKeyDown={(e) => {
                            if (e.key === 'Enter' || e.key === 'Tab') {
                              e.preventDefault()
                              props.onCommit(w, e.currentTarget.value)
                            } else if (e.key === 'Escape') props.onEdit(null)
                            e.stopPropagation()
                          }}
                          onBlur={(e) => props.onCommit(w, e.currentTarget.value)}
                        />
                      </Show>
                    )}
                  </For>
                </div>
              )}
            </For>
          </div>
        )}
      </Index>
    </section>
  )
}
