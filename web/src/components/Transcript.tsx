import { For, Index, Show, createEffect, createMemo, createSelector, createSignal, onCleanup, onMount } from 'solid-js'
import type { EmojiEntry } from '../editor/emoji'
import { EmojiDrawing } from './EmojiPicker'
import type { Page } from '../editor/pages'
import type { Word } from '../editor/store'

const secs = (ms: number) => (ms / 1000).toFixed(2)

/** Pages drawn above and below the visible stretch, in pixels, so a scroll never shows a gap. */
const OVERSCAN_PX = 800
/** The height assumed for a page not drawn yet (a page of two lines). */
const ESTIMATE_PX = 62

/** What the editor may ask of the transcript. */
export type TranscriptView = {
  /** Scrolls page `index` into view (it is drawn by the time the returned promise settles). */
  reveal(index: number): Promise<void>
}

/**
 * The transcript as caption pages (the words on screen together), line by line. A click on a
 * word selects it and seeks there; a double click, or Enter, edits it in place (a space
 * splits it; an empty word is deleted).
 *
 * Only the pages in view (and some on either side) are in the document, so an hour-long
 * transcript (9,000 words, 1,500 pages) costs what a minute does: pages not drawn take the
 * height they had when they were last drawn (or an estimate), in spacers above and below.
 */
export function Transcript(props: {
  pages: Page[]
  selected: number | null
  active: number | null
  editing: number | null
  /** A click (with Shift: extend the selection to the word). */
  onSelect: (w: Word, extend?: boolean) => void
  /** The words of a selection of several, by id. */
  range?: Set<number>
  onEdit: (w: Word | null) => void
  onCommit: (w: Word, text: string) => void
  view?: (v: TranscriptView) => void
  /** What the review found on each page (by page index), shown on the page. */
  flags?: Map<number, string[]>
  /** How a word's emoji is drawn (once the emoji have loaded). */
  emojiOf?: (emoji: string) => EmojiEntry | undefined
}) {
  const isSelected = createSelector(() => props.selected)
  const isActive = createSelector(() => props.active)
  const isEditing = createSelector(() => props.editing)
  let box!: HTMLElement
  const [scrollTop, setScrollTop] = createSignal(0)
  const [viewport, setViewport] = createSignal(600)
  // Measured heights by page index; a version signal says when they changed.
  const heights: number[] = []
  const [measured, setMeasured] = createSignal(0)
  const offsets = createMemo(() => {
    measured()
    const n = props.pages.length
    const at = new Float64Array(n + 1)
    for (let i = 0; i < n; i++) at[i + 1] = at[i] + (heights[i] ?? ESTIMATE_PX)
    return at
  })
  /** The first page whose bottom is below `y`. */
  const pageAt = (y: number) => {
    const at = offsets()
    let lo = 0
    let hi = props.pages.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (at[mid + 1] <= y) lo = mid + 1
      else hi = mid
    }
    return Math.max(0, lo)
  }
  const range = createMemo(() => {
    const from = pageAt(Math.max(0, scrollTop() - OVERSCAN_PX))
    const to = Math.min(props.pages.length, pageAt(scrollTop() + viewport() + OVERSCAN_PX) + 1)
    return { from, to }
  })
  const shown = createMemo(() => props.pages.slice(range().from, range().to))
  // One tab stop for the whole transcript (the roving tabindex of a composite widget): the
  // selected word when it is drawn, else the first word drawn. Tab enters the transcript and
  // leaves it, instead of walking through the words drawn and past the pages that are not;
  // ←/→ and Page Up/Down move within it.
  const tabStop = createMemo(() => {
    const pages = shown()
    const selected = props.selected
    if (selected !== null && pages.some((p) => p.words.some((w) => w.id === selected))) return selected
    return pages[0]?.words[0]?.id ?? null
  })
  const above = () => offsets()[range().from]
  const below = () => offsets()[props.pages.length] - offsets()[range().to]

  // Whenever other pages are drawn (a scroll, an edit, a new width), their heights are read
  // once the browser has laid them out.
  let pendingMeasure = 0
  createEffect(() => {
    void [shown(), viewport()]
    cancelAnimationFrame(pendingMeasure)
    pendingMeasure = requestAnimationFrame(() => {
      let changed = false
      for (const el of box.querySelectorAll<HTMLElement>('.page[data-page]')) {
        const index = Number(el.dataset.page)
        const h = el.offsetHeight
        if (h > 0 && heights[index] !== h) {
          heights[index] = h
          changed = true
        }
      }
      if (changed) setMeasured((v) => v + 1)
    })
  })
  onMount(() => {
    const size = new ResizeObserver(() => setViewport(box.clientHeight || window.innerHeight))
    size.observe(box)
    onCleanup(() => size.disconnect())
  })
  onCleanup(() => cancelAnimationFrame(pendingMeasure))

  props.view?.({
    async reveal(index) {
      const at = offsets()
      const [top, bottom] = [at[index] ?? 0, at[index + 1] ?? 0]
      if (top < box.scrollTop || bottom > box.scrollTop + box.clientHeight) {
        box.scrollTop = Math.max(0, top - box.clientHeight / 3)
        setScrollTop(box.scrollTop)
      }
      await new Promise((done) => requestAnimationFrame(done))
    },
  })

  return (
    <section class="transcript" aria-label="Transcript" ref={box} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <div aria-hidden="true" style={{ height: `${above()}px` }} />
      <Index each={shown()}>
        {(page) => (
          <div
            class="page"
            role="group"
            data-page={page().index}
            aria-label={`Page ${page().index + 1}, ${secs(page().startMs)} to ${secs(page().endMs)} s`}
          >
            <span class="page-time" aria-hidden="true">
              {secs(page().startMs)}
            </span>
            <Show when={props.flags?.get(page().index)}>
              {(flags) => (
                <span class="page-flag" role="note" aria-label={`Review: ${flags().join('; ')}`} title={flags().join('\n')}>
                  ⚠ {flags().length > 1 ? flags().length : ''}
                </span>
              )}
            </Show>
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
                            classList={{ selected: isSelected(w.id), 'in-range': !!props.range?.has(w.id), active: isActive(w.id), doubtful: w.confidence < 0.5, emphasised: w.emphasis === true }}
                            title={`${secs(w.startMs)}–${secs(w.endMs)} s`}
                            style={w.color ? { 'border-bottom': `3px solid ${w.color}` } : undefined}
                            aria-pressed={isSelected(w.id)}
                            tabIndex={tabStop() === w.id ? 0 : -1}
                            data-word-id={w.id}
                            aria-description={w.emoji ? `emoji: ${props.emojiOf?.(w.emoji)?.name ?? w.emoji}` : undefined}
                            onClick={(e) => props.onSelect(w, e.shiftKey)}
                            onDblClick={() => props.onEdit(w)}
                          >
                            {w.text}
                            <Show when={w.emoji ? props.emojiOf?.(w.emoji) : undefined}>{(e) => <EmojiDrawing entry={e()} size={16} />}</Show>
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
      <div aria-hidden="true" style={{ height: `${below()}px` }} />
    </section>
  )
}
