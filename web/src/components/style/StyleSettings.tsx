import { For, Show } from 'solid-js'
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

// The controls are components (they run once; their props are read where they are used), so
// a saved change updates them in place and the control being used keeps the focus.

function Range(props: { label: string; value: number; min: number; max: number; step: number; unit: string; set: (v: number) => void }) {
  let out!: HTMLOutputElement
  return (
    <label class="slider">
      <span>
        {props.label} <output ref={out}>{props.value}</output>
        {props.unit}
      </span>
      <input
        type="range"
        aria-label={props.label}
        min={props.min}
        max={props.max}
        step={props.step}
        value={props.value}
        onInput={(e) => (out.textContent = e.currentTarget.value)}
        onChange={(e) => props.set(Number(e.currentTarget.value))}
      />
    </label>
  )
}

function Pick(props: { label: string; value: string; options: readonly string[]; set: (v: string) => void }) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.set(e.currentTarget.value)}>
        {/* `selected` on the option: the select's own value is set before its options exist. */}
        <For each={props.options}>
          {(o) => (
            <option value={o} selected={o === props.value}>
              {o}
            </option>
          )}
        </For>
      </select>
    </label>
  )
}

function Check(props: { label: string; value: boolean; set: (v: boolean) => void }) {
  return (
    <label class="check">
      <input type="checkbox" checked={props.value} onChange={(e) => props.set(e.currentTarget.checked)} />
      {props.label}
    </label>
  )
}

/** A colour; the alpha the style has stays as it was. */
function Colour(props: { label: string; value: string | null | undefined; set: (v: string) => void }) {
  return (
    <label>
      {props.label}
      <input type="color" value={rgb(props.value)} onChange={(e) => props.set(e.currentTarget.value.toUpperCase() + alpha(props.value))} />
    </label>
  )
}

/**
 * Every setting of a style, grouped as people look for them. A change is saved when it is made
 * (a slider when it is let go), and the preview repaints from the saved style.
 */
export function StyleSettings(props: { style: Style; save: (change: Change) => void }) {
  const s = () => props.style
  const save = props.save
  const fonts = () => (FONTS.includes(s().font_family ?? '') ? FONTS : [s().font_family ?? 'Inter', ...FONTS])
  const perLine = ['any', ...Array.from({ length: 20 }, (_, i) => String(i + 1))]
  return (
    <div class="settings stack">
      <fieldset>
        <legend>Text</legend>
        <div class="row">
          <Pick label="Font" value={s().font_family ?? 'Inter'} options={fonts()} set={(v) => save({ font_family: v })} />
          <Check label="Bold" value={!!s().bold} set={(v) => save({ bold: v })} />
          <Check label="Uppercase" value={!!s().uppercase} set={(v) => save({ uppercase: v })} />
        </div>
        <Range label="Size" value={s().font_size ?? 4} min={1} max={25} step={0.1} unit="% of height" set={(v) => save({ font_size: v })} />
        <div class="row">
          <Colour label="Text colour" value={s().text_color} set={(v) => save({ text_color: v })} />
          <Colour label="Outline" value={s().outline_color} set={(v) => save({ outline_color: v })} />
          <Colour label="Shadow" value={s().shadow_color} set={(v) => save({ shadow_color: v })} />
          <Check label="Box" value={!!s().box_color} set={(v) => save({ box_color: v ? '#000000B0' : null })} />
          <Show when={s().box_color}>
            <Colour label="Box colour" value={s().box_color} set={(v) => save({ box_color: v })} />
          </Show>
        </div>
        <Range label="Outline width" value={s().outline ?? 0} min={0} max={40} step={0.5} unit="% of size" set={(v) => save({ outline: v })} />
        <Range label="Shadow offset" value={s().shadow ?? 0} min={0} max={40} step={0.5} unit="% of size" set={(v) => save({ shadow: v })} />
      </fieldset>
      <fieldset>
        <legend>Spoken word</legend>
        <div class="row">
          <Pick label="Highlight" value={s().highlight ?? 'none'} options={['none', 'word', 'karaoke']} set={(v) => save({ highlight: v as Style['highlight'] })} />
          <Colour label="Spoken word" value={s().active_color} set={(v) => save({ active_color: v })} />
          <Pick label="Animation" value={s().animation ?? 'none'} options={['none', 'pop', 'fade']} set={(v) => save({ animation: v as Style['animation'] })} />
        </div>
        <Range label="Spoken word size" value={s().active_scale ?? 100} min={50} max={300} step={5} unit="%" set={(v) => save({ active_scale: v })} />
      </fieldset>
      <fieldset>
        <legend>Placement and paging</legend>
        <div class="row">
          <Pick label="Position" value={s().position ?? 'bottom'} options={['top', 'middle', 'bottom']} set={(v) => save({ position: v as Style['position'] })} />
          <Pick label="Align" value={s().align ?? 'center'} options={['left', 'center', 'right']} set={(v) => save({ align: v as Style['align'] })} />
          <Pick label="Lines per page" value={String(s().lines_per_page ?? 2)} options={['1', '2', '3', '4']} set={(v) => save({ lines_per_page: Number(v) })} />
          <Pick
            label="Words per line"
            value={s().words_per_line == null ? 'any' : String(s().words_per_line)}
            options={perLine}
            set={(v) => save({ words_per_line: v === 'any' ? null : Number(v) })}
          />
        </div>
        <Range label="Distance from the edge" value={s().margin_v ?? 10} min={0} max={45} step={0.5} unit="% of height" set={(v) => save({ margin_v: v })} />
        <Range label="Side margins" value={s().margin_h ?? 6} min={0} max={45} step={0.5} unit="% of width" set={(v) => save({ margin_h: v })} />
        <Range label="Characters per line at most" value={s().max_chars_per_line ?? 36} min={4} max={80} step={1} unit="" set={(v) => save({ max_chars_per_line: v })} />
      </fieldset>
      <fieldset>
        <legend>Emphasis</legend>
        <div class="row">
          <Colour label="Emphasis colour" value={s().emphasis?.color} set={(v) => save({ emphasis: { ...s().emphasis, color: v } })} />
          <Check label="Numbers" value={!!s().emphasis?.numbers} set={(v) => save({ emphasis: { ...s().emphasis, numbers: v } })} />
        </div>
        <Range label="Emphasis size" value={s().emphasis?.scale ?? 100} min={50} max={300} step={5} unit="%" set={(v) => save({ emphasis: { ...s().emphasis, scale: v } })} />
        <label>
          Emphasised words
          <input
            name="keywords"
            placeholder="word, word"
            value={(s().emphasis?.keywords ?? []).join(', ')}
            onChange={(e) =>
              save({
                emphasis: {
                  ...s().emphasis,
                  keywords: e.currentTarget.value.split(',').map((k) => k.trim()).filter(Boolean),
                },
              })
            }
          />
        </label>
        <p class="muted">Mark words in the transcript with E (Shift+click to select several).</p>
      </fieldset>
    </div>
  )
}
