import { createEffect, createSignal, onCleanup, onMount } from 'solid-js'
import type { Page } from '../editor/pages'
import type { Word } from '../editor/store'
import { snap, type Peaks } from '../editor/waveform'

const HEIGHT = 118
const WAVE = { top: 4, height: 58 }
const WORDS = { top: 66, height: 30 }
const PAGES = { top: 100, height: 14 }
/** How close (px) a pointer must be to a block's edge to drag that edge. */
const EDGE_PX = 6
/** How close (px) a dragged edge must come to a neighbour or a pause to snap to it. */
const SNAP_PX = 8

type Drag = { index: number; mode: 'start' | 'end' | 'move'; grabMs: number; startMs: number; endMs: number; burst: string }

/**
 * The timeline under the video: the waveform, the words and the pages on one time scale, and the
 * playhead. Drag a word's edges to re-time it or its body to move it (snapping to its neighbours
 * and to where the speech pauses); click to seek; zoom with the slider or Ctrl + wheel. Only the
 * visible stretch is drawn, so an hour-long transcript scrolls as smoothly as a minute.
 */
export function Timeline(props: {
  words: readonly Word[]
  pages: Page[]
  peaks: Peaks | null
  pauses: number[]
  playhead: number
  durationMs: number
  selected: number | null
  onSeek: (ms: number) => void
  onSelect: (w: Word) => void
  onRetime: (index: number, startMs: number, endMs: number, burst: string) => void
}) {
  const [pxPerSecond, setPxPerSecond] = createSignal(120)
  const [scroll, setScroll] = createSignal(0)
  const [width, setWidth] = createSignal(600)
  let scroller!: HTMLDivElement
  let canvas!: HTMLCanvasElement
  let drag: Drag | null = null
  let drags = 0

  const msAt = (x: number) => ((scroll() + x) / pxPerSecond()) * 1000
  const xOf = (ms: number) => (ms / 1000) * pxPerSecond() - scroll()

  /** The word whose block is under `ms`, else one whose edge is within EDGE_PX of it. */
  const wordAt = (ms: number): number => {
    const words = props.words
    const find = (slack: number) => {
      let lo = 0
      let hi = words.length - 1
      while (lo <= hi) {
        const mid = (lo + hi) >> 1
        if (words[mid].endMs + slack <= ms) lo = mid + 1
        else if (words[mid].startMs - slack > ms) hi = mid - 1
        else return mid
      }
      return -1
    }
    const inside = find(0)
    return inside >= 0 ? inside : find((EDGE_PX / pxPerSecond()) * 1000)
  }

  const draw = () => {
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    // How long a repaint takes (bench/editor.sh reads these measures).
    const started = performance.now()
    const dpr = devicePixelRatio || 1
    const w = width()
    canvas.width = Math.round(w * dpr)
    canvas.height = Math.round(HEIGHT * dpr)
    canvas.style.width = `${w}px`
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    const css = getComputedStyle(canvas)
    const color = (name: string) => css.getPropertyValue(name).trim() || '#888'
    ctx.clearRect(0, 0, w, HEIGHT)
    const [from, to] = [msAt(0), msAt(w)]
    // The waveform: one bar per screen pixel, the loudest peak under it.
    if (props.peaks) {
      const { level, msPerPixel } = props.peaks
      ctx.fillStyle = color('--wave')
      const mid = WAVE.top + WAVE.height / 2
      for (let x = 0; x < w; x++) {
        const a = Math.floor(msAt(x) / msPerPixel)
        const b = Math.max(a + 1, Math.floor(msAt(x + 1) / msPerPixel))
        let peak = 0
        for (let i = a; i < b && i < level.length; i++) peak = Math.max(peak, level[i])
        const h = Math.max(1, peak * WAVE.height)
        ctx.fillRect(x, mid - h / 2, 1, h)
      }
    }
    // Pages, then words: only those in view.
    ctx.font = '12px system-ui, sans-serif'
    ctx.textBaseline = 'middle'
    for (const p of props.pages) {
      if (p.endMs < from || p.startMs > to) continue
      ctx.fillStyle = color('--page')
      ctx.fillRect(xOf(p.startMs), PAGES.top, Math.max(2, xOf(p.endMs) - xOf(p.startMs) - 1), PAGES.height)
    }
    const words = props.words
    let first = wordAt(from)
    if (first < 0) first = Math.max(0, words.findIndex((x) => x.endMs >= from))
    for (let i = first; i < words.length && words[i].startMs <= to; i++) {
      const word = words[i]
      const x0 = xOf(word.startMs)
      const x1 = xOf(word.endMs)
      const selected = word.id === props.selected
      ctx.fillStyle = selected ? color('--selected') : color('--block')
      ctx.fillRect(x0, WORDS.top, Math.max(2, x1 - x0 - 1), WORDS.height)
      if (x1 - x0 > 14) {
        ctx.save()
        ctx.beginPath()
        ctx.rect(x0 + 2, WORDS.top, x1 - x0 - 4, WORDS.height)
        ctx.clip()
        ctx.fillStyle = selected ? color('--accent-fg') : color('--fg')
        ctx.fillText(word.text, x0 + 4, WORDS.top + WORDS.height / 2)
        ctx.restore()
      }
    }
    // The playhead.
    ctx.fillStyle = color('--danger')
    ctx.fillRect(Math.round(xOf(props.playhead)), 0, 2, HEIGHT)
    performance.measure('cofee:timeline-draw', { start: started })
  }

  let frame = 0
  const redraw = () => {
    cancelAnimationFrame(frame)
    frame = requestAnimationFrame(draw)
  }
  createEffect(() => {
    // What the picture depends on.
    void [props.words, props.pages, props.peaks, props.playhead, props.selected, pxPerSecond(), scroll(), width()]
    redraw()
  })
  // Keep the playhead in view while it moves.
  createEffect(() => {
    const x = xOf(props.playhead)
    if (!drag && (x < 0 || x > width() - 20)) scroller.scrollLeft = Math.max(0, (props.playhead / 1000) * pxPerSecond() - width() * 0.2)
  })

  onMount(() => {
    const resize = new ResizeObserver(() => setWidth(scroller.clientWidth))
    resize.observe(scroller)
    onCleanup(() => {
      resize.disconnect()
      cancelAnimationFrame(frame)
    })
  })

  const zoom = (next: number, anchorX = width() / 2) => {
    const ms = msAt(anchorX)
    const pps = Math.min(600, Math.max(10, next))
    setPxPerSecond(pps)
    queueMicrotask(() => (scroller.scrollLeft = Math.max(0, (ms / 1000) * pps - anchorX)))
  }

  const onPointerDown = (e: PointerEvent) => {
    const x = e.offsetX
    const ms = msAt(x)
    const inWords = e.offsetY >= WORDS.top && e.offsetY <= WORDS.top + WORDS.height
    const i = inWords ? wordAt(ms) : -1
    if (i < 0) return props.onSeek(ms)
    const word = props.words[i]
    props.onSelect(word)
    const near = (edge: number) => Math.abs(xOf(edge) - x) <= EDGE_PX
    const mode = near(word.endMs) ? 'end' : near(word.startMs) ? 'start' : 'move'
    drag = { index: i, mode, grabMs: ms, startMs: word.startMs, endMs: word.endMs, burst: `timeline:${++drags}` }
    canvas.setPointerCapture(e.pointerId)
  }
  const onPointerMove = (e: PointerEvent) => {
    const started = performance.now()
    moved(e)
    if (drag) performance.measure('cofee:timeline-move', { start: started })
  }
  const moved = (e: PointerEvent) => {
    const x = e.offsetX
    if (!drag) {
      const i = e.offsetY >= WORDS.top ? wordAt(msAt(x)) : -1
      const w = props.words[i]
      canvas.style.cursor = w && (Math.abs(xOf(w.startMs) - x) <= EDGE_PX || Math.abs(xOf(w.endMs) - x) <= EDGE_PX) ? 'ew-resize' : w ? 'grab' : 'default'
      return
    }
    const d = drag
    const words = props.words
    const within = (SNAP_PX / pxPerSecond()) * 1000
    const neighbours = [words[d.index - 1]?.endMs, words[d.index + 1]?.startMs].filter((v): v is number => v !== undefined)
    const candidates = [...neighbours, ...props.pauses]
    const delta = msAt(x) - d.grabMs
    if (d.mode === 'start') props.onRetime(d.index, snap(d.startMs + delta, candidates, within), d.endMs, d.burst)
    else if (d.mode === 'end') props.onRetime(d.index, d.startMs, snap(d.endMs + delta, candidates, within), d.burst)
    else {
      // The body moves whole: stopped by its neighbours, never shrunk against them.
      const length = d.endMs - d.startMs
      const lo = words[d.index - 1]?.endMs ?? 0
      const hi = (words[d.index + 1]?.startMs ?? Number.POSITIVE_INFINITY) - length
      const start = Math.min(Math.max(lo, snap(d.startMs + delta, candidates, within)), hi)
      props.onRetime(d.index, start, start + length, d.burst)
    }
  }
  const onPointerUp = () => {
    drag = null
  }

  return (
    <section class="timeline card" aria-label="Timeline" data-px-per-second={pxPerSecond()} data-scroll-px={scroll()}>
      <div class="row timeline-bar">
        <label class="check">
          Zoom
          <input type="range" min="10" max="600" step="10" value={pxPerSecond()} onInput={(e) => zoom(Number(e.currentTarget.value))} />
        </label>
        <span class="muted">Drag a word’s edges to re-time it, its middle to move it; click to seek.</span>
      </div>
      <div
        ref={scroller}
        class="timeline-scroll"
        onScroll={(e) => setScroll(e.currentTarget.scrollLeft)}
        onWheel={(e) => {
          if (!e.ctrlKey) return
          e.preventDefault()
          zoom(pxPerSecond() * (e.deltaY < 0 ? 1.25 : 0.8), e.offsetX)
        }}
      >
        <div class="timeline-track" style={{ width: `${Math.max(width(), (props.durationMs / 1000) * pxPerSecond())}px` }}>
          <canvas
            ref={canvas}
            height={HEIGHT}
            aria-hidden="true"
            onPointerDown={onPointerDown}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerUp}
            onPointerCancel={onPointerUp}
          />
        </div>
      </div>
    </section>
  )
}
