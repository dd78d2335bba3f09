import { For, Show, type JSX } from 'solid-js'
import type { Style } from './StyleGallery'

type Change = Partial<Style>

/** Fonts offered by name: the Inter family Cofee ships, and the Noto fonts the server falls back to. */
const FONTS = ['Inter', 'Inter ExtraBold', 'Inter Black', 'Noto Sans', 'Noto Serif', 'Noto Sans CJK SC']

/** `#rrggbb` for a colour input; the alpha of `#rrggbbaa` is kept apart. */
const rgb = (c: string | null | undefined) => (c ?? '#FFFFFF').trim().slice(0, 7).toLowerCase()
const alpha = (c: string | null | undefined) => {
  const t = (c ?? '').trim()
  return t.length === 9 ? t.slice(7) : ''
}

/**
 * Every setting of a style, grouped as people look for them. A change is saved when it is made
 * (a slider when it is let go), and the preview repaints from the saved style.
 */
export function StyleSettings(props: { style: Style; save: (change: Change) => void }) {
  const s = () => props.style
  const color = (label: string, field: 'text_color' | 'active_color' | 'outline_color' | 'shadow_color') => (
    <label>
      {label}
      <input type="color" value={rgb(s()[field])} onChange={(e) => props.save({ [field]: e.currentTarget.value.toUpperCase() + alpha(s()[field]) })} />
    </label>
  )
  const range = (
    label: string,
    value: number,
    min: number,
    max: number,
    step: number,
    unit: string,
    set: (v: number) => void,
  ): JSX.Element => {
    let out!: HTMLOutputElement
    return (
      <label class="slider">
        <span>
          {label} <output ref={out}>{value}</output>
          {unit}
        </span>
        <input type="range" aria-label={label} min={min} max={max} step={step} value={value} onInput={(e) => (out.textContent = e.currentTarget.value)} onChange={(e) => set(Number(e.currentTarget.value))} />
      </label>
    )
  }
  const select = <T extends string>(label: string, value: T, options: readonly T[], set: (v: T) => void) => (
    <label>
      {label}
      <select value={value} onChange={(e) => set(e.currentTarget.value as T)}>
        {/* `selected` on the option: the select's own value is set before its options exist. */}
        <For each={options}>
          {(o) => (
            <option value={o} selected={o === value}>
              {o}
            </option>
          )}
        </For>
      </select>
    </label>
  )
  const check = (label: string, value: boolean, set: (v: boolean) => void) => (
    <label class="check">
      <input type="checkbox" checked={value} onChange={(e) => set(e.currentTarget.checked)} />
      {label}
    </label>
  )
  return (
    <div class="settings stack">
      <fieldset>
        <legend>Text</legend>
        <div class="row">
          {select('Font', (s().font_family ?? 'Inter') as string, FONTS.includes(s().font_family ?? '') ? FONTS : [s().font_family ?? 'Inter', ...FONTS], (v) => props.save({ font_family: v }))}
          {check('Bold', !!s().bold, (v) => props.save({ bold: v }))}
          {check('Uppercase', !!s().uppercase, (v) => props.save({ uppercase: v }))}
        </div>
        {range('Size', s().font_size ?? 4, 1, 25, 0.1, '% of height', (v) => props.save({ font_size: v }))}
        <div class="row">
          {color('Text colour', 'text_color')}
          {color('Outline', 'outline_color')}
          {color('Shadow', 'shadow_color')}
          <label class="check">
            <input type="checkbox" checked={!!s().box_color} onChange={(e) => props.save({ box_color: e.currentTarget.checked ? '#000000B0' : null })} />
            Box
          </label>
          <Show when={s().box_color}>
            <label>
              Box colour
              <input type="color" value={rgb(s().box_color)} onChange={(e) => props.save({ box_color: e.currentTarget.value.toUpperCase() + alpha(s().box_color) })} />
            </label>
          </Show>
        </div>
        {range('Outline width', s().outline ?? 0, 0, 40, 0.5, '% of size', (v) => props.save({ outline: v }))}
        {range('Shadow offset', s().shadow ?? 0, 0, 40, 0.5, '% of size', (v) => props.save({ shadow: v }))}
      </fieldset>
      <fieldset>
        <legend>Spoken word</legend>
        <div class="row">
          {select('Highlight', (s().highlight ?? 'none') as 'none' | 'word' | 'karaoke', ['none', 'word', 'karaoke'] as const, (v) => props.save({ highlight: v }))}
          {color('Spoken word', 'active_color')}
          {select('Animation', (s().animation ?? 'none') as 'none' | 'pop' | 'fade', ['none', 'pop', 'fade'] as const, (v) => props.save({ animation: v }))}
        </div>
        {range('Spoken word size', s().active_scale ?? 100, 50, 300, 5, '%', (v) => props.save({ active_scale: v }))}
      </fieldset>
      <fieldset>
        <legend>Placement and paging</legend>
        <div class="row">
          {select('Position', (s().position ?? 'bottom') as 'top' | 'middle' | 'bottom', ['top', 'middle', 'bottom'] as const, (v) => props.save({ position: v }))}
          {select('Align', (s().align ?? 'center') as 'left' | 'center' | 'right', ['left', 'center', 'right'] as const, (v) => props.save({ align: v }))}
          {select('Lines per page', String(s().lines_per_page ?? 2) as '1' | '2' | '3' | '4', ['1', '2', '3', '4'] as const, (v) => props.save({ lines_per_page: Number(v) }))}
          {select(
            'Words per line',
            (s().words_per_line == null ? 'any' : String(s().words_per_line)) as string,
            ['any', ...Array.from({ length: 20 }, (_, i) => String(i + 1))],
            (v) => props.save({ words_per_line: v === 'any' ? null : Number(v) }),
          )}
        </div>
        {range('Distance from the edge', s().margin_v ?? 10, 0, 45, 0.5, '% of height', (v) => props.save({ margin_v: v }))}
        {range('Side margins', s().margin_h ?? 6, 0, 45, 0.5, '% of width', (v) => props.save({ margin_h: v }))}
        {range('Characters per line at most', s().max_chars_per_line ?? 36, 4, 80, 1, '', (v) => props.save({ max_chars_per_line: v }))}
      </fieldset>
      <fieldset>
        <legend>Emphasis</legend>
        <div class="row">
          <label>
            Emphasis colour
            <input type="color" value={rgb(s().emphasis?.color)} onChange={(e) => props.save({ emphasis: { ...s().emphasis, color: e.currentTarget.value.toUpperCase() + alpha(s().emphasis?.color) } })} />
          </label>
          {check('Numbers', !!s().emphasis?.numbers, (v) => props.save({ emphasis: { ...s().emphasis, numbers: v } }))}
        </div>
        {range('Emphasis size', s().emphasis?.scale ?? 100, 50, 300, 5, '%', (v) => props.save({ emphasis: { ...s().emphasis, scale: v } }))}
        <label>
          Emphasised words
          <input
            name="keywords"
            placeholder="word, word"
            value={(s().emphasis?.keywords ?? []).join(', ')}
            onChange={(e) =>
              props.save({
                emphasis: {
                  ...s().emphasis,
                  keywords: e.currentTarget.value.split(',').map((k) => k.trim()).filter(Boolean),
                },
              })
            }
          />
        </label>
        <p class="muted">Mark single words in the transcript with E.</p>
      </fieldset>
    </div>
  )
}
