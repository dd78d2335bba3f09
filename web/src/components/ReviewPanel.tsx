import { For, Show, createMemo } from 'solid-js'
import type { Page } from '../editor/pages'
import { type Finding, doubtfulWords, readingChecks, repageAtPauses } from '../editor/review'
import { PLATFORMS, type Placement, type Platform, clearingMargins, coveredPages } from '../editor/safezones'
import type { EditorStore, Word } from '../editor/store'

/** How many findings are listed at once (the rest are counted; fixing some brings the next). */
const LISTED = 30

const KIND: Record<Finding['kind'], string> = { fast: 'Fast', short: 'Short', crowded: 'Crowded', overlap: 'Overlap' }

/**
 * Review aids: the doubtful words to step through (N / Shift+N), the reading checks of each
 * page with their fixes, and, for a platform, the pages its interface would cover.
 */
export function ReviewPanel(props: {
  store: EditorStore
  words: readonly Word[]
  pages: Page[]
  findings: Finding[]
  style?: Placement
  width: number
  height: number
  platform: Platform | null
  onPlatform: (p: Platform | null) => void
  onGo: (wordId: number) => void
  onStepDoubtful: (back: boolean) => void
  onMoveCaptions: (margins: { margin_v: number; margin_h: number }) => void
}) {
  const doubtful = createMemo(() => doubtfulWords(props.words).length)
  const covered = createMemo(() => (props.platform && props.style ? coveredPages(props.pages, props.style, props.platform, props.width, props.height) : []))
  const margins = () => (props.platform && props.style ? clearingMargins(props.style, props.platform) : null)
  return (
    <section class="card stack review" aria-label="Review">
      <h2>Review</h2>
      <div class="row">
        <span>
          {doubtful()} doubtful {doubtful() === 1 ? 'word' : 'words'}
        </span>
        <button type="button" class="secondary" disabled={doubtful() === 0} aria-keyshortcuts="Shift+N" onClick={() => props.onStepDoubtful(true)}>
          Previous doubtful
        </button>
        <button type="button" class="secondary" disabled={doubtful() === 0} aria-keyshortcuts="N" onClick={() => props.onStepDoubtful(false)}>
          Next doubtful
        </button>
      </div>
      <div class="row">
        <label>
          Safe zone
          <select value={props.platform ?? ''} onChange={(e) => props.onPlatform((e.currentTarget.value || null) as Platform | null)}>
            <option value="">none</option>
            <For each={Object.entries(PLATFORMS)}>{([key, p]) => <option value={key} selected={props.platform === key}>{p.name}</option>}</For>
          </select>
        </label>
        <Show when={props.platform && covered().length > 0}>
          <p class="warning" role="status">
            {covered().length} {covered().length === 1 ? 'page sits' : 'pages sit'} under {PLATFORMS[props.platform!].name}’s {covered()[0].area}
          </p>
          <Show when={margins()}>
            {(m) => (
              <button type="button" class="secondary" onClick={() => props.onMoveCaptions(m())} title={`${m().margin_v} % from the edge, ${m().margin_h} % from the sides`}>
                Move the captions clear
              </button>
            )}
          </Show>
        </Show>
        <Show when={props.platform && covered().length === 0}>
          <p class="muted" role="status">
            Every page clears {PLATFORMS[props.platform!].name}’s interface.
          </p>
        </Show>
      </div>
      <div class="row">
        <h3 class="grow">Reading checks: {props.findings.length === 0 ? 'all pages read well' : `${props.findings.length} to look at`}</h3>
        <button type="button" class="secondary" onClick={() => repageAtPauses(props.store)} title="Start a page at each pause of half a second or more; other page breaks you set are taken away">
          New pages at pauses
        </button>
      </div>
      <ul class="findings" aria-label="Reading checks">
        <For each={props.findings.slice(0, LISTED)}>
          {(f) => (
            <li class="row">
              <button type="button" class="secondary" onClick={() => props.onGo(f.wordId)} aria-label={`Go to page ${f.page + 1}`}>
                Page {f.page + 1}
              </button>
              <span class="grow">
                <strong>{KIND[f.kind]}</strong>: {f.message}
              </span>
              <Show when={f.fix}>
                {(fix) => (
                  <button type="button" onClick={() => fix().apply(props.store)}>
                    {fix().label}
                  </button>
                )}
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={props.findings.length > LISTED}>
        <p class="muted">and {props.findings.length - LISTED} more</p>
      </Show>
    </section>
  )
}
