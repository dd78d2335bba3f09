import JASSUB from 'jassub'
import { For, createEffect, createSignal, onCleanup, onMount } from 'solid-js'
import type { Area } from '../editor/safezones'

const FONTS = ['Inter-Regular.otf', 'Inter-Bold.otf', 'Inter-ExtraBold.otf', 'Inter-Black.otf'].map((f) => `/fonts/${f}`)

export type Player = {
  video: HTMLVideoElement
  seek(ms: number): void
  toggle(): void
  /** Plays `[fromMs, toMs)` and pauses. */
  playRange(fromMs: number, toMs: number): void
  nowMs(): number
}

const clock = (ms: number) => {
  const s = Math.max(0, ms) / 1000
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`
}

/**
 * The video in a frame of its own proportions (a phone frame for portrait video), with the
 * captions drawn over it by libass in the browser (jassub) from the same ASS the render burns
 * in. The controls sit under the frame, never over the captions.
 */
export function Preview(props: {
  src: string
  width: number
  height: number
  durationMs: number
  ass: string | null
  onTime: (ms: number) => void
  player: (p: Player) => void
  /** A platform's interface areas to show over the video (fractions of the frame). */
  areas?: Area[]
}) {
  let video!: HTMLVideoElement
  let canvas!: HTMLCanvasElement
  let jassub: JASSUB | null = null
  let stopAt = Number.POSITIVE_INFINITY
  const [playing, setPlaying] = createSignal(false)
  const [now, setNow] = createSignal(0)
  const portrait = () => props.height > props.width

  const player: Player = {
    get video() {
      return video
    },
    seek: (ms) => {
      video.currentTime = Math.max(0, ms) / 1000
    },
    toggle: () => (video.paused ? void video.play() : video.pause()),
    playRange: (from, to) => {
      video.currentTime = from / 1000
      stopAt = to
      void video.play()
    },
    nowMs: () => video.currentTime * 1000,
  }

  onMount(() => {
    props.player(player)
    // The playhead: a frame-accurate clock while playing, not the coarse `timeupdate`.
    let frame = 0
    const tick = () => {
      const ms = video.currentTime * 1000
      if (ms >= stopAt) {
        video.pause()
        stopAt = Number.POSITIVE_INFINITY
      }
      setNow(ms)
      props.onTime(ms)
      frame = requestAnimationFrame(tick)
    }
    frame = requestAnimationFrame(tick)
    onCleanup(() => {
      cancelAnimationFrame(frame)
      jassub?.destroy()
    })
  })

  createEffect(async () => {
    const ass = props.ass
    if (!ass) return
    if (!jassub) {
      jassub = new JASSUB({ video, canvas, subContent: ass, fonts: FONTS, queryFonts: false })
      await jassub.ready
    } else {
      await jassub.ready // the first load may still be compiling the WebAssembly
      await jassub.renderer.setTrack(ass)
      await jassub.resize(true) // repaint now, even while paused
    }
    performance.mark('cofee:preview-painted')
  })

  return (
    <section class="preview" aria-label="Preview">
      <div
        class="frame"
        classList={{ phone: portrait() }}
        style={{ 'aspect-ratio': `${props.width} / ${props.height}` }}
      >
        <video
          ref={video}
          src={props.src}
          muted
          playsinline
          preload="auto"
          aria-label="Video"
          onPlay={() => setPlaying(true)}
          onPause={() => setPlaying(false)}
          onClick={() => player.toggle()}
        />
        <canvas ref={canvas} aria-hidden="true" />
        <For each={props.areas ?? []}>
          {(a) => (
            <div class="safe-zone" aria-hidden="true" style={{ left: `${a.x * 100}%`, top: `${a.y * 100}%`, width: `${a.w * 100}%`, height: `${a.h * 100}%` }}>
              {a.label}
            </div>
          )}
        </For>
      </div>
      <div class="controls row">
        <button type="button" onClick={() => player.toggle()} aria-keyshortcuts="Space">
          {playing() ? 'Pause' : 'Play'}
        </button>
        <input
          type="range"
          aria-label="Position"
          min="0"
          max={props.durationMs}
          step="10"
          value={now()}
          onInput={(e) => player.seek(Number(e.currentTarget.value))}
        />
        <span class="time" aria-label="Time">
          {clock(now())} / {clock(props.durationMs)}
        </span>
      </div>
    </section>
  )
}
