// The editor's speed on a 1-minute and a 60-minute transcript, side by side in one run, in
// Debian's Chromium: how long a typed character takes to show, a committed word edit takes to
// reach the transcript, a timeline drag takes to repaint, and a style change takes to reach the
// libass preview. Run by bench/editor.sh (which builds what it needs); prints a table and one
// summary line of key=value pairs. Goals (issue 15): 50 ms, 16 ms, 200 ms — printed figures,
// not assertions.

import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { chromium } = createRequire(join(root, 'web', 'package.json'))('playwright-core')
const bin = process.env.COFEE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'release', 'cofee')
const RUNS = Number(process.env.RUNS ?? 30)
const work = mkdtempSync(join(tmpdir(), 'cofee-bench-editor-'))

const WORDS = 'so the thing about captions is that people read them faster than they listen and every word has to land exactly when it is spoken or the whole video feels off'.split(' ')

/** A still clip of `secs` with a tone (1 frame a second: quick to make, small to upload). */
function clip(secs) {
  const path = join(work, `clip-${secs}.mp4`)
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=0x334455:s=540x960:r=1:d=${secs}`, '-f', 'lavfi', '-i', `sine=f=220:d=${secs}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'stillimage', '-c:a', 'aac', '-b:a', '32k', '-movflags', '+faststart', path])
  return path
}

/** Words at 2.5 a second (150 a minute), sentences of 12 words, a pause after each. */
function transcript(secs) {
  const words = []
  let t = 0.2
  for (let i = 0; t < secs - 1; i++) {
    const end = i % 12 === 11
    words.push({ text: WORDS[i % WORDS.length] + (end ? '.' : ''), start: +t.toFixed(3), end: +(t + 0.32).toFixed(3), confidence: 0.9 })
    t += end ? 0.9 : 0.4
  }
  return { language: 'en', words }
}

const server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', join(work, 'data')], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, RUST_LOG: 'warn' },
})
const url = await new Promise((resolve, reject) => {
  server.stdout.on('data', (d) => {
    const m = String(d).match(/http:\/\/[0-9.:]+/)
    if (m) resolve(m[0])
  })
  server.on('exit', (code) => reject(new Error(`cofee serve exited with ${code}`)))
})
const call = async (method, path, token, body, headers = {}) => {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body && !(body instanceof Uint8Array) ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body instanceof Uint8Array ? body : body ? JSON.stringify(body) : undefined,
  })
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.headers.get('content-type')?.includes('json') ? res.json() : res.text()
}
const creds = { email: 'bench@example.com', password: 'benchmark password' }
await call('POST', '/api/auth/register', null, creds)
const session = await call('POST', '/api/auth/login', null, creds)

/** A project with a `secs` video and its transcript, in the bold-pop style (a word per event). */
async function project(secs) {
  const token = session.access_token
  const p = await call('POST', '/api/projects', token, { name: `${secs / 60} min` })
  await call('PUT', `/api/projects/${p.id}/media`, token, new Uint8Array(readFileSync(clip(secs))))
  const doc = transcript(secs)
  await call('PUT', `/api/projects/${p.id}/captions`, token, doc, { 'if-match': '"v0"' })
  await call('PUT', `/api/projects/${p.id}/style`, token, { base: 'bold-pop' })
  return { id: p.id, words: doc.words.length }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
})
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
const page = await context.newPage()
page.on('pageerror', (e) => console.error('page error:', e.message))
await page.goto(url)
// Signed in as the bench's user: the app refreshes its own access token from this one.
await page.evaluate((refresh) => localStorage.setItem('cofee.refresh', refresh), session.refresh_token)

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}
const saved = () => page.getByRole('status').filter({ hasText: 'All changes saved' }).waitFor({ timeout: 60_000 })

/**
 * Arms a measurement of the next `type` event: from the event's time to just after the frame
 * that shows its effect (a timer, then a frame callback — which runs after whatever the app
 * scheduled for that frame — then a timer, which runs once that frame is painted).
 */
const arm = (type) =>
  page.evaluate((type) => {
    window.__bench = new Promise((done) => {
      addEventListener(
        type,
        (e) => {
          const t0 = e.timeStamp
          setTimeout(() => requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0))))
        },
        { capture: true, once: true },
      )
    })
  }, type)
const measured = () => page.evaluate(() => window.__bench)

/** Milliseconds from a key press in the page to the frame that shows its effect. */
async function keyToFrame(key) {
  await arm('keydown')
  await page.keyboard.press(key)
  return measured()
}

async function measure(p) {
  await page.goto(`${url}/#/projects/${p.id}`)
  await page.reload()
  const transcriptRegion = page.getByRole('region', { name: 'Transcript' })
  await transcriptRegion.getByRole('button').first().waitFor({ timeout: 60_000 })
  await saved()
  const drawn = await transcriptRegion.getByRole('button').count()
  const out = { words: p.words, drawn }

  // A typed character: the word-edit field open, one key, until the frame that shows it.
  const typed = []
  const committed = []
  for (let i = 0; i < RUNS; i++) {
    const button = transcriptRegion.getByRole('button').nth(3 + (i % 5))
    await button.dblclick()
    const input = transcriptRegion.getByRole('textbox')
    await input.press('End')
    typed.push(await keyToFrame('x'))
    // The edit committed (Enter): the store, the pages and the transcript updated, drawn.
    committed.push(await keyToFrame('Enter'))
  }
  await saved()
  out.typed = typed
  out.committed = committed

  // The floor of these measurements: a pointer move over the page heading, which nothing
  // handles — the wait for the next frame and the timers, with no work of the app's.
  const heading = await page.getByRole('heading', { level: 1 }).boundingBox()
  const floor = []
  for (let i = 0; i < RUNS; i++) {
    await arm('pointermove')
    await page.mouse.move(heading.x + 2 + (i % 2), heading.y + 2)
    floor.push(await measured())
  }
  out.floor = floor

  // A drag on the timeline: each pointer move, until the frame that repainted the canvas.
  const canvas = page.getByRole('region', { name: 'Timeline' }).locator('canvas')
  const box = await canvas.boundingBox()
  const drags = []
  const work = []
  for (let run = 0; run < 3; run++) {
    await transcriptRegion.getByRole('button').nth(2).click()
    await page.waitForTimeout(200)
    const timeline = page.getByRole('region', { name: 'Timeline' })
    const pps = Number(await timeline.getAttribute('data-px-per-second'))
    const scroll = Number(await timeline.getAttribute('data-scroll-px'))
    const first = (await call('GET', `/api/projects/${p.id}/captions`, session.access_token)).words[2]
    const x = box.x + first.end * pps - scroll - 2
    const y = box.y + 81
    await page.mouse.move(x, y)
    await page.mouse.down()
    for (let dx = 1; dx <= 12; dx++) {
      await page.evaluate(() => performance.clearMeasures())
      await arm('pointermove')
      await page.mouse.move(x - dx * 2, y)
      drags.push(await measured())
      // The app's own work for the move: its handler (the store, the pages, the transcript),
      // then the repaint of the canvas.
      work.push(
        await page.evaluate(() =>
          ['cofee:timeline-move', 'cofee:timeline-draw'].reduce((sum, name) => sum + (performance.getEntriesByName(name).at(-1)?.duration ?? 0), 0),
        ),
      )
    }
    await page.mouse.up()
    await page.keyboard.press('Control+z')
  }
  await saved()
  out.drag = drags
  out.dragWork = work

  // A style change: the text colour, until the preview has the new captions painted (marks).
  const colour = page.getByRole('region', { name: 'Style' }).getByLabel('Text colour')
  const styles = []
  for (let i = 0; i < Math.min(RUNS, 8); i++) {
    await page.evaluate(() => performance.clearMarks())
    await colour.evaluate((el, v) => {
      el.value = v
      el.dispatchEvent(new Event('change', { bubbles: true }))
    }, i % 2 ? '#ffffff' : '#ffee00')
    const ms = await page.waitForFunction(() => {
      const [start] = performance.getEntriesByName('cofee:style-change')
      const end = performance.getEntriesByName('cofee:preview-painted').find((m) => start && m.startTime > start.startTime)
      return end ? end.startTime - start.startTime : null
    }, null, { timeout: 60_000, polling: 'raf' })
    styles.push(await ms.jsonValue())
  }
  out.style = styles
  return out
}

const results = []
for (const secs of [60, 3600]) results.push([secs, await measure(await project(secs))])
await browser.close()
server.kill('SIGTERM')
rmSync(work, { recursive: true, force: true })

const row = (name, key, goal) =>
  console.log(`| ${name} | ${results.map(([, r]) => `${quantile(r[key], 0.5).toFixed(1)} / ${quantile(r[key], 0.95).toFixed(1)}`).join(' | ')} | ${goal} |`)
console.log(`\n| median / p95, ms | ${results.map(([s, r]) => `${s / 60} min (${r.words} words, ${r.drawn} drawn)`).join(' | ')} | goal |`)
console.log('|---|---|---|---|')
row('floor: an unhandled pointer move → frame', 'floor', '–')
row('typed character → frame', 'typed', '50')
row('word edit committed → frame', 'committed', '50')
row('timeline drag move → frame', 'drag', '–')
row('timeline drag: the app’s work per move', 'dragWork', '16')
row('style change → preview painted', 'style', '200')
const summary = []
for (const [secs, r] of results) {
  const tag = `${secs / 60}min`
  summary.push(`typed_ms_${tag}=${quantile(r.typed, 0.5).toFixed(1)}`, `commit_ms_${tag}=${quantile(r.committed, 0.5).toFixed(1)}`,
    `drag_ms_${tag}=${quantile(r.drag, 0.5).toFixed(1)}`, `drag_work_ms_${tag}=${quantile(r.dragWork, 0.5).toFixed(1)}`, `floor_ms_${tag}=${quantile(r.floor, 0.5).toFixed(1)}`, `style_ms_${tag}=${quantile(r.style, 0.5).toFixed(1)}`, `drawn_words_${tag}=${r.drawn}`)
}
console.log(`\n${summary.join(' ')}`)
