// End-to-end tests of the web app in Debian's Chromium (Playwright, no downloaded browser),
// finding every control by its role and accessible name, and checking through the API that
// what the person did landed: sign up, drop into an empty project list, upload a video with real
// speech (tus), transcribe (sphinx), edit a word in place, undo and redo, keyboard edits, find
// and replace (remembered, and applied by a later transcription), split and merge caption pages,
// a concurrent edit (412) that loses nothing, edits kept across an offline reload,
// an editing session several times longer than the access token, style and the libass preview,
// render and download, an SRT import in a legacy encoding, the project list, sign-out revoking the session. axe-core checks every
// screen; screenshots of each at 1440 and 390 px go to target/e2e. Prints a cargo-style result
// line that scripts/test.sh counts (one per flow).

import { spawn, execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import AxeBuilder from '@axe-core/playwright'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = process.env.COFEE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug', 'cofee')
const out = join(root, 'target', 'e2e')
mkdirSync(out, { recursive: true })
const work = mkdtempSync(join(tmpdir(), 'cofee-e2e-'))
/** Access tokens live this long: the editing session below outlasts several of them. */
const TOKEN_TTL_SECS = 10

function check(ok, message) {
  if (!ok) throw new Error(message)
}

// A 540×960 clip with two LibriVox recordings (real speech) and a silent second.
const librivox = '/usr/share/pocketsphinx/test/data/librivox'
const video = join(work, 'talk.mp4')
execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=540x960:r=30',
  '-i', `${librivox}/sense_and_sensibility_01_austen_64kb-0870.wav`, '-i', `${librivox}/sense_and_sensibility_01_austen_64kb-0880.wav`,
  '-filter_complex', '[1][2]concat=n=2:v=0:a=1,apad=pad_dur=1[a]', '-map', '0:v', '-map', '[a]', '-shortest',
  '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart', video])

function withoutWhisper(env) {
  const { COFEE_WHISPER_MODEL: _model, ...rest } = env
  return rest
}

const server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', join(work, 'data'), '--engine', 'sphinx'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  // Sphinx alone, whatever model the test run imported (COFEE_WHISPER_MODEL): its times are
  // what the flows check, and no engine aligns edited words (the Rust tests align with whisper).
  env: { ...withoutWhisper(process.env), COFEE_ACCESS_TOKEN_TTL_SECS: String(TOKEN_TTL_SECS), COFEE_WEBHOOK_ALLOW_PRIVATE: 'true', RUST_LOG: 'warn' },
})
const url = await new Promise((resolve, reject) => {
  server.stdout.on('data', (d) => { const m = String(d).match(/http:\/\/[0-9.:]+/); if (m) resolve(m[0]) })
  server.on('exit', (code) => reject(new Error(`cofee serve exited with ${code}`)))
})

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
})

const results = []
async function flow(name, body) {
  const started = Date.now()
  try {
    await body()
    results.push([name, true])
    console.error(`flow ${name}: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  } catch (e) {
    results.push([name, false])
    console.error(`flow ${name}: FAILED`, e)
    await page.screenshot({ path: join(out, `failed-${results.length}.png`), fullPage: true }).catch(() => undefined)
  }
}

/** No serious or critical accessibility violation on the screen shown. */
async function accessible(page, screen) {
  const { violations } = await new AxeBuilder({ page }).analyze()
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  check(bad.length === 0, `${screen}: ${bad.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes[0]?.target}`).join('; ')}`)
}

/** Screenshots at both widths, and in the dark theme (checked by axe there too). */
async function shots(page, screen) {
  for (const [width, height] of [[1440, 900], [390, 844]]) {
    await page.setViewportSize({ width, height })
    await page.waitForTimeout(150)
    await page.screenshot({ path: join(out, `${screen}-${width}.png`), fullPage: true })
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    check(overflow <= 1, `${screen} at ${width} px overflows sideways by ${overflow} px`)
  }
  await page.setViewportSize({ width: 1440, height: 900 })
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.waitForTimeout(100)
  await page.screenshot({ path: join(out, `${screen}-dark-1440.png`), fullPage: true })
  await accessible(page, `${screen} (dark)`)
  await page.emulateMedia({ colorScheme: 'light' })
}

/** The API as the signed-in page sees it (its current access token). */
async function apiAs(page, method, path, body, headers = {}) {
  return page.evaluate(async ([method, path, body, headers]) => {
    const token = sessionStorage.getItem('cofee.access')
    const res = await fetch(path, { method, headers: { authorization: `Bearer ${token}`, 'x-e2e-check': '1', ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, body: body ? JSON.stringify(body) : undefined })
    const text = await res.text()
    return { status: res.status, etag: res.headers.get('etag'), body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text }
  }, [method, path, body, headers])
}

const captions = async (page, project) => (await apiAs(page, 'GET', `/api/projects/${project}/captions`)).body.words
const saved = (page) => page.getByRole('status').filter({ hasText: 'All changes saved' }).waitFor({ timeout: 20_000 })
const word = (page, text) => page.getByRole('region', { name: 'Transcript' }).getByRole('button', { name: text, exact: true }).first()
/** The button of word `k` of `words` (the nth of the words with its text). */
const wordNumber = (page, words, k) =>
  page.getByRole('region', { name: 'Transcript' }).getByRole('button', { name: words[k].text, exact: true }).nth(words.slice(0, k).filter((w) => w.text === words[k].text).length)

const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
const page = await context.newPage()
page.on('pageerror', (e) => console.error('page error:', e.message))
page.on('console', (m) => m.type() === 'error' && console.error('console:', m.text()))
// The W3C trace context of every API call, by page load: one editing session is one trace.
const traceparents = []
let loads = 0
page.on('request', (r) => {
  if (r.isNavigationRequest() && r.frame() === page.mainFrame()) loads++
  // The test's own API calls (apiAs) are not the app's.
  else if (new URL(r.url()).pathname.startsWith('/api/') && !r.headers()['x-e2e-check']) traceparents.push([new URL(r.url()).pathname, r.headers().traceparent, loads])
})
let project = ''

await flow('sign up, and an empty project list that says what to do', async () => {
  await page.goto(url)
  await accessible(page, 'sign-in')
  await shots(page, 'sign-in')
  await page.getByLabel('Email').fill('e2e@example.com')
  await page.getByLabel('Password').fill('correct horse battery')
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('heading', { name: 'No projects yet' }).waitFor()
  await accessible(page, 'projects-empty')
  await shots(page, 'projects-empty')
})

await flow('create a project, upload, transcribe', async () => {
  await page.getByLabel('New project').fill('e2e talk')
  await page.getByRole('button', { name: 'Create project' }).click()
  await page.getByRole('heading', { name: 'Add the video' }).waitFor()
  project = /#\/projects\/([0-9a-f-]+)/.exec(page.url())[1]
  await page.getByLabel('Choose a video').setInputFiles(video)
  await page.getByRole('button', { name: 'Transcribe' }).click({ timeout: 60_000 })
  await page.getByRole('region', { name: 'Transcript' }).getByRole('button').nth(5).waitFor({ timeout: 120_000 })
  const words = await captions(page, project)
  check(words.length > 5, `transcribed ${words.length} words`)
  await accessible(page, 'editor')
})

await flow('edit a word in place; untouched words keep their times; undo and redo', async () => {
  const before = await captions(page, project)
  await word(page, before[0].text).dblclick()
  const input = page.getByLabel(`Edit word ${before[0].text}`)
  await input.fill('Cofee')
  await input.press('Enter')
  await saved(page)
  let after = await captions(page, project)
  check(after[0].text === 'Cofee', `the edit landed: ${after[0].text}`)
  check(after[1].start === before[1].start && after[1].end === before[1].end, 'the second word kept its time')
  check(after[0].start === before[0].start, 'the edited word kept its slot')
  await page.getByRole('button', { name: 'Undo' }).click()
  await saved(page)
  after = await captions(page, project)
  check(after[0].text === before[0].text, `undo restored “${before[0].text}” (got ${after[0].text})`)
  await page.getByRole('button', { name: 'Redo' }).click()
  await saved(page)
  check((await captions(page, project))[0].text === 'Cofee', 'redo re-applied it')
})

await flow('a changed word is sent for times from the audio; where no engine aligns, its estimate stays', async () => {
  const before = await captions(page, project)
  const k = 2
  const asked = page.waitForResponse((r) => r.url().endsWith(`/api/projects/${project}/alignments`) && r.request().method() === 'POST', { timeout: 20_000 })
  await wordNumber(page, before, k).dblclick()
  const input = page.getByLabel(`Edit word ${before[k].text}`)
  await input.fill('Aligned')
  await input.press('Enter')
  const post = await asked
  check(post.status() === 202, `the alignment was queued (${post.status()})`)
  const job = (await post.json()).job_id
  let answer
  for (let i = 0; i < 50; i++) {
    answer = (await apiAs(page, 'GET', `/api/projects/${project}/alignments/${job}`)).body
    if (answer.state === 'succeeded') break
    await page.waitForTimeout(200)
  }
  check(answer.state === 'succeeded' && answer.words === null && /no engine/.test(answer.reason), `the sphinx-only server says it cannot align: ${JSON.stringify(answer)}`)
  await saved(page)
  const after = await captions(page, project)
  check(after[k].text === 'Aligned' && after[k].start === before[k].start && after[k].end === before[k].end, 'the estimate stayed')
  await page.getByRole('button', { name: 'Undo' }).click()
  await saved(page)
  check((await captions(page, project))[k].text === before[k].text, 'undo restored the word')
})

await flow('keyboard: delete, insert, merge, nudge, undo', async () => {
  const before = await captions(page, project)
  await word(page, before[2].text).click()
  await page.keyboard.press('Delete')
  await saved(page)
  check((await captions(page, project)).length === before.length - 1, 'Delete removed the word')
  await page.keyboard.press('Control+z')
  await saved(page)
  const back = await captions(page, project)
  check(back.length === before.length && back[2].text === before[2].text, 'Ctrl+Z brought it back')
  await word(page, before[3].text).click()
  await page.keyboard.press('Alt+Shift+ArrowLeft')
  await saved(page)
  const nudged = await captions(page, project)
  check(Math.round((before[3].start - nudged[3].start) * 1000) === Math.min(100, Math.round((before[3].start - before[2].end) * 1000)), `Alt+Shift+← moved the word back by 100 ms or to its neighbour (${before[3].start} → ${nudged[3].start})`)
  await page.keyboard.press('Control+z')
  // The transcript is one tab stop: Tab leaves it, Shift+Tab comes back to the selected word.
  await word(page, before[3].text).focus()
  await page.keyboard.press('Tab')
  const inTranscript = () => page.evaluate(() => !!document.activeElement?.closest('[aria-label="Transcript"]'))
  check(!(await inTranscript()), 'Tab leaves the transcript')
  await page.keyboard.press('Shift+Tab')
  check((await page.evaluate(() => document.activeElement?.textContent)) === before[3].text, 'Shift+Tab comes back to the selected word')
  await page.getByRole('button', { name: 'Shortcuts' }).click()
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor()
  await accessible(page, 'shortcuts')
  await page.keyboard.press('Escape')
  await saved(page)
})

await flow('the timeline: waveform from the server, drag a word’s edge to re-time it, one undo step', async () => {
  let waveform = 0
  for (let i = 0; i < 40 && waveform !== 200; i++, await page.waitForTimeout(250)) waveform = (await apiAs(page, 'GET', `/api/projects/${project}/waveform`)).status
  check(waveform === 200, `the waveform is served (${waveform})`)
  const before = await captions(page, project)
  const k = Math.max(1, before.findIndex((w, i) => i > 0 && before[i + 1] && w.end - w.start > 0.25))
  await word(page, before[k].text).click()
  await page.waitForTimeout(300)
  const timeline = page.getByRole('region', { name: 'Timeline' })
  const pps = Number(await timeline.getAttribute('data-px-per-second'))
  const scroll = Number(await timeline.getAttribute('data-scroll-px'))
  const box = await timeline.locator('canvas').boundingBox()
  const x = box.x + before[k].end * pps - scroll - 2
  const y = box.y + 81
  await page.mouse.move(x, y)
  await page.mouse.down()
  for (let dx = 4; dx <= 24; dx += 4) await page.mouse.move(x - dx, y)
  await page.mouse.up()
  await saved(page)
  const after = await captions(page, project)
  check(after[k].end < before[k].end - 0.1 && after[k].start === before[k].start, `dragging the end edge re-timed the word (${before[k].end} → ${after[k].end})`)
  check(after.every((w, i) => i === k || (w.start === before[i].start && w.end === before[i].end)), 'no other word moved')
  await page.getByRole('button', { name: 'Undo' }).click()
  await saved(page)
  check((await captions(page, project))[k].end === before[k].end, 'one undo undoes the whole drag')
  await accessible(page, 'editor-timeline')
})

await flow('find and replace', async () => {
  const before = await captions(page, project)
  const target = before.find((w, i) => i > 0 && /^[a-z]{4,}$/i.test(w.text))
  await page.getByRole('button', { name: 'Find and replace' }).click()
  const dialog = page.getByRole('dialog', { name: 'Find and replace' })
  await dialog.getByLabel('Find').fill(target.text)
  await dialog.getByLabel('Replace with').fill('REPLACED')
  await dialog.getByLabel('Remember for this project').check()
  await dialog.getByRole('button', { name: 'Replace all' }).click()
  await dialog.getByRole('status').filter({ hasText: /Replaced \d+ words?\. Remembered/ }).waitFor()
  await dialog.getByRole('region', { name: 'Remembered replacements' }).getByText(target.text).waitFor()
  await accessible(page, 'find-replace')
  await page.screenshot({ path: join(out, 'find-replace-1440.png') })
  await dialog.getByRole('button', { name: 'Close' }).click()
  await saved(page)
  const after = await captions(page, project)
  check(after.some((w) => w.text.startsWith('REPLACED')) && !after.some((w) => w.text === target.text), 'every match replaced')
  const kept = (await apiAs(page, 'GET', `/api/projects/${project}/replacements`)).body.replacements
  check(kept.length === 1 && kept[0].find === target.text && kept[0].replace === 'REPLACED', `the replacement is kept on the project: ${JSON.stringify(kept)}`)
  // A later transcription of the project applies it.
  const job = (await apiAs(page, 'POST', `/api/projects/${project}/transcribe`, {})).body.job_id
  let state = ''
  for (let i = 0; i < 240 && !['succeeded', 'dead'].includes(state); i++, await page.waitForTimeout(250)) state = (await apiAs(page, 'GET', `/api/jobs/${job}`)).body.state
  check(state === 'succeeded', `the new transcription finished (${state})`)
  const again = await captions(page, project)
  check(again.some((w) => w.text.startsWith('REPLACED')) && !again.some((w) => w.text.toLowerCase() === target.text.toLowerCase()), 'the new transcription applied the remembered replacement')
  await page.reload()
  await saved(page)
})

await flow('split and merge caption pages', async () => {
  const pagesNow = async () => (await apiAs(page, 'GET', `/api/projects/${project}/captions/pages`)).body.pages.map((p) => p.lines[0].from)
  const before = await captions(page, project)
  const starts = await pagesNow()
  // A word in the middle of the longest page.
  const lengths = starts.map((s, i) => (starts[i + 1] ?? before.length) - s)
  const longest = lengths.indexOf(Math.max(...lengths))
  const k = starts[longest] + Math.floor(lengths[longest] / 2)
  check(lengths[longest] >= 2, `a page with two words or more (${lengths})`)
  await wordNumber(page, before, k).click()
  await page.getByRole('button', { name: 'Split page' }).click()
  await saved(page)
  let after = await captions(page, project)
  check(after[k].page_break === true, `the word starts a page in the saved captions (${JSON.stringify(after[k])})`)
  check((await pagesNow()).includes(k), 'the layout starts a page there')
  check(after.every((w, i) => w.start === before[i].start && w.end === before[i].end), 'no word moved')
  const transcript = page.getByRole('region', { name: 'Transcript' })
  const shown = async () => {
    const want = (await pagesNow()).length
    let got = 0
    for (let i = 0; i < 40 && got !== want; i++, await page.waitForTimeout(100)) got = await transcript.getByRole('group').count()
    return [got, want]
  }
  const [got, want] = await shown()
  check(got === want, `the transcript shows the pages as laid out (${got} of ${want})`)
  await shots(page, 'editor-pages')
  await wordNumber(page, before, k).click()
  await page.keyboard.press('Shift+Backspace')
  await saved(page)
  after = await captions(page, project)
  check(after[k].page_break === false && !(await pagesNow()).includes(k), 'Shift+Backspace merged it back into the page before')
  // The page after the longest (if any) merged into it: one page fewer than at the start.
  const next = starts[longest + 1]
  if (next !== undefined) {
    await wordNumber(page, before, next).click()
    await page.getByRole('button', { name: 'Merge pages' }).click()
    await saved(page)
    check(!(await pagesNow()).includes(next), 'Merge pages joined the next page to it')
    await page.getByRole('button', { name: 'Undo' }).click()
    await saved(page)
  }
  await page.getByRole('button', { name: 'Undo' }).click()
  await page.getByRole('button', { name: 'Undo' }).click()
  await saved(page)
  check((await captions(page, project)).every((w) => w.page_break === undefined), 'undo took every page break away')
  check(JSON.stringify(await pagesNow()) === JSON.stringify(starts), 'and the pages are as they were')
})

await flow('a concurrent edit (412) loses nothing', async () => {
  const now = await apiAs(page, 'GET', `/api/projects/${project}/captions`)
  const theirs = structuredClone(now.body)
  theirs.words[1].text = 'Elsewhere'
  const put = await apiAs(page, 'PUT', `/api/projects/${project}/captions`, theirs, { 'if-match': now.etag })
  check(put.status === 200, `the other edit saved (${put.status})`)
  await word(page, now.body.words[0].text).dblclick()
  await page.getByLabel(`Edit word ${now.body.words[0].text}`).fill('Mine')
  await page.keyboard.press('Enter')
  const dialog = page.getByRole('dialog', { name: 'The captions changed elsewhere' })
  await dialog.waitFor({ timeout: 20_000 })
  check((await dialog.getByRole('region', { name: 'The saved version' }).textContent()).includes('Elsewhere'), 'both versions are shown')
  await accessible(page, 'conflict')
  await page.screenshot({ path: join(out, 'conflict-1440.png') })
  await dialog.getByRole('button', { name: 'Keep mine' }).click()
  await saved(page)
  const words = await captions(page, project)
  check(words[0].text === 'Mine', `mine was kept: ${words[0].text}`)
})

await flow('edits made offline survive a reload', async () => {
  await page.route('**/api/projects/*/captions', (route) => (route.request().method() === 'PUT' ? route.abort('internetdisconnected') : route.continue()))
  const before = await captions(page, project)
  await word(page, before[1].text).dblclick()
  await page.getByLabel(`Edit word ${before[1].text}`).fill('Offline')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor({ timeout: 20_000 })
  await page.unroute('**/api/projects/*/captions')
  await page.reload()
  await saved(page)
  check((await captions(page, project))[1].text === 'Offline', 'the pending edit was saved after the reload')
})

await flow(`an editing session several times longer than the ${TOKEN_TTL_SECS} s access token keeps saving`, async () => {
  const started = Date.now()
  let n = 0
  while (Date.now() - started < 3.2 * TOKEN_TTL_SECS * 1000) {
    const words = await captions(page, project)
    const text = `Long${n}`
    await word(page, words[2].text).dblclick()
    await page.getByLabel(`Edit word ${words[2].text}`).fill(text)
    await page.keyboard.press('Enter')
    await saved(page)
    check((await captions(page, project))[2].text === text, `edit ${n} saved after ${((Date.now() - started) / 1000).toFixed(0)} s`)
    n++
    await page.waitForTimeout(4000)
  }
})

await flow('style gallery drawn on the video, every setting, saved styles, emphasis', async () => {
  const styleOf = () => apiAs(page, 'GET', `/api/projects/${project}/style`).then((r) => r.body)
  const until = async (what, test) => {
    let last
    for (let i = 0; i < 25; i++, await page.waitForTimeout(200)) if (test((last = await styleOf()))) return last
    check(false, `${what}: ${JSON.stringify(last)}`)
  }
  const panel = page.getByRole('region', { name: 'Style' })
  // The gallery: each template's thumbnail drawn by the server on this video.
  const gallery = panel.getByRole('list', { name: 'Templates' })
  const boldPop = gallery.getByRole('button', { name: 'Template bold-pop', exact: true })
  await boldPop.locator('img').waitFor({ timeout: 20000 })
  const thumbs = await gallery.locator('img').count()
  check(thumbs >= 6, `every template has a thumbnail (${thumbs})`)
  const size = await boldPop.locator('img').evaluate((img) => [img.naturalWidth, img.naturalHeight])
  check(size[0] === 240 && Math.abs(size[1] / size[0] - 1920 / 1080) < 0.02, `thumbnails in the video's proportions: ${size}`)
  await shots(page, 'style-gallery')
  await boldPop.click()
  let style = await until('bold-pop applied', (s) => s.name?.startsWith('bold-pop'))
  check((await boldPop.getAttribute('aria-pressed')) === 'true', 'the template in use is marked')
  check(style.uppercase === true && style.highlight === 'word', 'the template brings its whole look')

  // Every setting: a slider, a select and a colour, each saved.
  await panel.getByText('All settings').click()
  await panel.getByRole('slider', { name: 'Size', exact: true }).fill('7')
  await panel.getByLabel('Align').selectOption('left')
  await panel.getByLabel('Outline', { exact: true }).fill('#3366ff')
  style = await until('settings saved', (s) => s.font_size === 7 && s.align === 'left' && s.outline_color === '#3366FF')
  check(style.highlight === 'word', 'other settings kept')
  // A keyboard change keeps the control (and its focus) as the saved style comes back.
  const sizeSlider = panel.getByRole('slider', { name: 'Size', exact: true })
  await sizeSlider.focus()
  await page.keyboard.press('ArrowRight')
  await until('a keyboard change saved', (s) => Math.abs(s.font_size - 7.1) < 1e-6)
  check(await sizeSlider.evaluate((el) => el === document.activeElement), 'the slider keeps the focus after its change is saved')
  await panel.getByLabel('Emphasised words').fill('would, power')
  await panel.getByLabel('Emphasised words').press('Enter')
  style = await until('keywords saved', (s) => s.emphasis?.keywords?.join(',') === 'would,power')
  check(style.uppercase === true, `the emphasis keywords were saved on the template's look`)
  await shots(page, 'style-settings')

  // Saved for other projects: it joins the gallery, drawn like the templates.
  await panel.getByLabel('Name for my style').fill('My brand')
  await panel.getByRole('button', { name: 'Save as my style' }).click()
  const mine = gallery.getByRole('button', { name: 'My style My brand', exact: true })
  await mine.locator('img').waitFor({ timeout: 20000 })
  const kept = (await apiAs(page, 'GET', '/api/me/styles')).body
  check(kept.length === 1 && kept[0].name === 'My brand' && Math.abs(kept[0].style.font_size - 7.1) < 1e-6 && kept[0].style.align === 'left', `saved whole: ${JSON.stringify(kept)}`)
  await until('the project uses the saved style', (s) => s.name === 'My brand')
  check((await mine.getAttribute('aria-pressed')) === 'true', 'the saved style is marked as in use')
  await gallery.getByRole('button', { name: 'Template clean', exact: true }).click()
  await until('clean applied', (s) => s.name?.startsWith('clean') && s.font_size === 4.2)
  await mine.click()
  await until('the saved style applied again', (s) => s.name === 'My brand' && Math.abs(s.font_size - 7.1) < 1e-6 && s.align === 'left')

  // Emphasis from the transcript: the selected word, saved as the person's mark.
  const untilWords = async (what, test) => {
    let last
    for (let i = 0; i < 50; i++, await page.waitForTimeout(200)) if (test((last = await captions(page, project)))) return last
    check(false, `${what}: ${JSON.stringify(last?.slice(0, 3))}`)
  }
  const before = await captions(page, project)
  await word(page, before[1].text).click()
  await page.keyboard.press('e')
  await untilWords('E marks the selected word', (w) => w[1].emphasis === true && w.filter((x) => x.emphasis).length === 1)
  check((await page.getByRole('button', { name: 'Emphasise' }).getAttribute('aria-pressed')) === 'true', 'the button shows the mark')
  await page.getByRole('button', { name: 'Emphasise' }).click()
  await untilWords('the button takes the mark away again', (w) => w[1].emphasis === undefined)
  await word(page, before[1].text).click()
  await page.keyboard.press('e')
  await untilWords('marked again', (w) => w[1].emphasis === true)

  // Several words at once: Shift+click extends the selection; E marks them all in one step.
  await word(page, before[2].text).click()
  await word(page, before[4].text).click({ modifiers: ['Shift'] })
  await page.keyboard.press('e')
  await untilWords('E marks the selected run', (w) => [2, 3, 4].every((k) => w[k].emphasis === true) && w[5].emphasis === undefined)
  await page.keyboard.press('Control+z')
  await untilWords('one undo takes the run back', (w) => [2, 3, 4].every((k) => w[k].emphasis === undefined) && w[1].emphasis === true)

  // A colour of its own for a word: saved with it, drawn in the render's script.
  await word(page, before[1].text).click()
  await page.getByLabel('Word colour').fill('#ff0000')
  await untilWords('the word has its colour', (w) => w[1].color === '#FF0000')
  const script = (await apiAs(page, 'GET', `/api/projects/${project}/captions.ass`)).body
  check(script.includes('\\c&H0000FF&'), 'the script draws the word in its colour')
  await page.getByRole('button', { name: 'No colour' }).click()
  await untilWords('the colour taken away', (w) => w[1].color === undefined)

  // A saved style can be deleted; the project keeps its look.
  await gallery.getByRole('button', { name: 'Delete my style My brand' }).click()
  await mine.waitFor({ state: 'detached' })
  check((await apiAs(page, 'GET', '/api/me/styles')).body.length === 0, 'the saved style is gone')
  check((await styleOf()).name === 'My brand', 'the project keeps the look it had')
  const words = await captions(page, project)
  await word(page, words[3].text).click()
  const frame = page.locator('.frame')
  let changed = 0
  for (let attempt = 0; attempt < 30 && changed <= 2000; attempt++) {
    await page.waitForTimeout(500)
    const withCaptions = await frame.screenshot({ path: join(out, 'preview.png') })
    await page.$eval('.frame canvas', (c) => { c.style.visibility = 'hidden' })
    const without = await frame.screenshot()
    await page.$eval('.frame canvas', (c) => { c.style.visibility = 'visible' })
    changed = differingBytes(withCaptions, without)
  }
  check(changed > 2000, 'the libass preview draws captions over the video')
  await accessible(page, 'editor-styled')
  await shots(page, 'editor')
})

await flow('emoji on a word: picked in the drawing the render uses, drawn above the page, added from the words', async () => {
  const untilWords = async (what, test) => {
    let last
    for (let i = 0; i < 50; i++, await page.waitForTimeout(200)) if (test((last = await captions(page, project)))) return last
    check(false, `${what}: ${JSON.stringify(last?.slice(0, 3))}`)
  }
  const before = await captions(page, project)
  await word(page, before[1].text).click()
  await page.keyboard.press(':')
  const picker = page.getByRole('dialog', { name: 'Emoji' })
  const choices = picker.getByRole('group', { name: 'Emoji' }).getByRole('button')
  await choices.first().waitFor()
  check((await choices.count()) >= 140, `the picker offers every emoji (${await choices.count()})`)
  await picker.getByLabel('Search emoji').fill('flame')
  check((await choices.count()) === 1, 'the search finds fire by a keyword')
  await accessible(page, 'emoji-picker')
  await page.screenshot({ path: join(out, 'emoji-picker-1440.png') })
  await picker.getByRole('button', { name: 'fire', exact: true }).click()
  await untilWords('the word carries its emoji', (w) => w[1].emoji === '🔥' && w.filter((x) => x.emoji).length === 1)
  check((await picker.getByRole('button', { name: 'fire', exact: true }).getAttribute('aria-pressed')) === 'true', 'the picker marks the emoji in use')
  await picker.getByRole('button', { name: 'Done' }).click()
  check((await word(page, before[1].text).getAttribute('aria-description')) === 'emoji: fire', 'the transcript shows the word’s emoji')
  const script = (await apiAs(page, 'GET', `/api/projects/${project}/captions.ass`)).body
  const drawings = script.split('\n').filter((l) => l.includes('\\p1}'))
  check(drawings.length >= 2 && drawings.some((l) => l.includes('\\1c&H0C90F4&')), `the render's script draws the fire's layers (${drawings.length})`)
  // The preview draws it (libass in the browser, from that script): the fire's orange over the
  // video. libass draws at the time of the frame shown, so the video is put inside the word.
  await page.keyboard.press('Escape')
  await page.$eval('.frame video', (v, t) => { v.currentTime = t }, (before[1].start + before[1].end) / 2)
  const frame = page.locator('.frame')
  let orange = 0
  for (let attempt = 0; attempt < 30 && orange < 50; attempt++) {
    await page.waitForTimeout(400)
    const fire = [0xf4, 0x90, 0x0c]
    const drawn = await pixelsNear(await frame.screenshot({ path: join(out, 'preview-emoji.png') }), fire)
    await page.$eval('.frame canvas', (c) => { c.style.visibility = 'hidden' })
    const video = await pixelsNear(await frame.screenshot(), fire)
    await page.$eval('.frame canvas', (c) => { c.style.visibility = 'visible' })
    orange = drawn - video
  }
  check(orange >= 50, `the preview draws the emoji in its colours (${orange} orange pixels)`)

  // Taken away again; then emoji added from the words: a word that suits one, on a page without.
  await page.keyboard.press(':')
  await picker.getByRole('button', { name: 'No emoji' }).click()
  await untilWords('the emoji taken away', (w) => w.every((x) => x.emoji === undefined))
  await picker.getByRole('button', { name: 'Done' }).click()
  await word(page, before[0].text).dblclick()
  await page.getByLabel(`Edit word ${before[0].text}`).fill('Money')
  await page.keyboard.press('Enter')
  await untilWords('the word renamed', (w) => w[0].text === 'Money')
  await page.keyboard.press(':')
  await picker.getByRole('button', { name: 'Add emoji from the words' }).click()
  await picker.getByRole('status').filter({ hasText: /^Added \d+ emoji/ }).waitFor()
  await untilWords('the money bag on “Money”', (w) => w[0].emoji === '💰')
  await picker.getByRole('button', { name: 'Done' }).click()
  await page.keyboard.press('Control+z')
  await page.keyboard.press('Control+z')
  await untilWords('two undo steps take the emoji and the rename back', (w) => w[0].text === before[0].text && w.every((x) => x.emoji === undefined))
})

await flow('review: doubtful words to step through, reading checks with their fixes, safe zones', async () => {
  const original = await apiAs(page, 'GET', `/api/projects/${project}/captions`)
  // A page too fast to read (long words, 0.15 s each), a page too short (0.3 s), two doubtful words.
  const texts = ['Extraordinarily', 'complicated', 'sentences', 'arrive', 'afterwards', 'quickly', 'indeed']
  const crafted = [
    ...texts.map((text, i) => ({ text, start: i * 0.15 + (i >= 4 ? 0.3 : 0), end: i * 0.15 + 0.14 + (i >= 4 ? 0.3 : 0), confidence: i === 2 ? 0.2 : 0.9 })),
    { text: 'Later', start: 4.0, end: 4.3, confidence: 0.3, page_break: true },
    { text: 'we', start: 6.0, end: 6.4, page_break: true },
    { text: 'rest.', start: 6.4, end: 7.0 },
  ]
  const put = await apiAs(page, 'PUT', `/api/projects/${project}/captions`, { words: crafted }, { 'if-match': original.etag })
  check(put.status === 200, `crafted captions saved: ${put.status}`)
  check((await apiAs(page, 'PUT', `/api/projects/${project}/style`, { base: 'clean', position: 'bottom', margin_v: 8 })).status === 200, 'captions low in the frame')
  await page.reload()
  const review = page.getByRole('region', { name: 'Review' })
  await review.getByText('2 doubtful words').waitFor({ timeout: 20_000 })

  await word(page, 'Extraordinarily').click()
  await page.keyboard.press('n')
  check((await word(page, 'sentences').getAttribute('aria-pressed')) === 'true', 'N selects the next doubtful word')
  await page.keyboard.press('n')
  check((await word(page, 'Later').getAttribute('aria-pressed')) === 'true', 'and the one after')
  await page.keyboard.press('Shift+N')
  check((await word(page, 'sentences').getAttribute('aria-pressed')) === 'true', 'Shift+N goes back')
  check((await word(page, 'sentences').getAttribute('class')).includes('doubtful'), 'doubtful words are marked in the transcript')

  const checks = review.getByRole('list', { name: 'Reading checks' })
  const fast = checks.getByRole('listitem').filter({ hasText: 'Fast' }).first()
  await fast.waitFor({ timeout: 10_000 })
  const flagged = await page.getByRole('note').count()
  check(flagged >= 2, `the pages with findings are flagged in the transcript (${flagged})`)
  await shots(page, 'review')
  await fast.getByRole('button', { name: 'Split the page' }).click()
  let words
  for (let i = 0; i < 50; i++, await page.waitForTimeout(200)) {
    words = await captions(page, project)
    if (words.slice(1, 7).some((w) => w.page_break === true)) break
  }
  check(words.slice(1, 7).some((w) => w.page_break === true), `the split was saved: ${JSON.stringify(words.slice(0, 7).map((w) => w.page_break))}`)
  // “Later” is on screen for 0.30 s.
  await checks.getByRole('listitem').filter({ hasText: 'on screen for 0.30 s' }).getByRole('button', { name: 'Join with the page before' }).click()
  for (let i = 0; i < 50; i++, await page.waitForTimeout(200)) {
    words = await captions(page, project)
    if (words[7].page_break === false) break
  }
  check(words[7].text === 'Later' && words[7].page_break === false, `the short page was joined: ${JSON.stringify(words[7])}`)

  await review.getByLabel('Safe zone').selectOption('tiktok')
  check((await page.locator('.frame .safe-zone').count()) === 3, 'TikTok’s interface drawn over the video')
  await review.getByText(/under TikTok’s caption and sound/).waitFor()
  await shots(page, 'safe-zones')
  await review.getByRole('button', { name: /Move the captions clear/ }).click()
  await review.getByText('Every page clears TikTok’s interface.').waitFor({ timeout: 10_000 })
  const moved = (await apiAs(page, 'GET', `/api/projects/${project}/style`)).body
  check(moved.margin_v === 22 && moved.margin_h === 16 && moved.font_size === 4.2, `the captions were moved clear, the rest kept: ${moved.margin_v} ${moved.margin_h}`)
  await review.getByLabel('Safe zone').selectOption('')

  const now = await apiAs(page, 'GET', `/api/projects/${project}/captions`)
  const back = await apiAs(page, 'PUT', `/api/projects/${project}/captions`, original.body, { 'if-match': now.etag })
  check(back.status === 200, 'the captions put back')
  await page.reload()
  await saved(page)
})

await flow('render and download', async () => {
  await page.getByRole('button', { name: 'Render', exact: true }).click()
  const link = page.getByRole('link', { name: 'Download MP4' })
  await link.waitFor({ timeout: 180_000 })
  const href = await link.getAttribute('href')
  const res = await fetch(new URL(href, url))
  check(res.ok && res.headers.get('content-type') === 'video/mp4', `download answers ${res.status} ${res.headers.get('content-type')}`)
  const bytes = Buffer.from(await res.arrayBuffer())
  check(bytes.length > 10_000 && bytes.subarray(4, 8).toString() === 'ftyp', 'the download is an MP4')
  const tampered = await fetch(new URL(href.replace(/sig=([0-9a-f])/, (_, d) => `sig=${d === '0' ? '1' : '0'}`), url))
  check(tampered.status === 403, 'a tampered link is refused')
  // The render history: the finished render, its preset and size, and its own download.
  const history = page.getByRole('table', { name: 'Renders' })
  const row = history.getByRole('row').filter({ hasText: 'Done' }).first()
  await row.waitFor({ timeout: 20_000 })
  const listed = (await apiAs(page, 'GET', `/api/projects/${project}/renders`)).body
  const done = listed.find((r) => r.state === 'succeeded')
  check(done && (await row.textContent()).includes('veryfast') && (await row.textContent()).includes(`${(done.size_bytes / (1 << 20)).toFixed(1)} MiB`), `the history shows the render with its preset and size: ${await row.textContent()}`)
  const [saved] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /^Download the render of/ }).click()])
  check(saved.suggestedFilename().endsWith('.mp4'), `the history's download is the MP4 (${saved.suggestedFilename()})`)
  await accessible(page, 'render-history')
  await shots(page, 'editor-renders')
  const inEditor = traceparents.filter(([path]) => path.startsWith('/api/uploads') || /^\/api\/projects\/[^/]+\/(transcribe|renders)/.test(path))
  for (const load of new Set(inEditor.map(([, , l]) => l))) {
    const session = inEditor.filter(([, , l]) => l === load)
    const ids = new Set(session.map(([, tp]) => /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(tp ?? '')?.[1] ?? `bad: ${tp}`))
    check(ids.size === 1 && ![...ids][0].startsWith('bad'), `one trace for the editing session: ${[...ids].join(', ')} over ${session.length} requests`)
  }
  check(inEditor.some(([p]) => p.startsWith('/api/uploads')) && inEditor.some(([p]) => p.endsWith('/renders')), 'uploads and renders were traced')
})

await flow('import an SRT file in Windows-1252: its text aligned with the words, which keep their times, its cues the pages', async () => {
  const before = await captions(page, project)
  const half = Math.floor(before.length / 2)
  const texts = before.map((w, i) => (i === 1 ? 'café' : w.text))
  const srt = `1\r\n00:00:00,000 --> 00:00:05,000\r\n${texts.slice(0, half).join(' ')}\r\n\r\n2\r\n00:00:05,000 --> 00:00:11,000\r\n${texts.slice(half).join(' ')}\r\n`
  await page.getByRole('button', { name: 'Import captions' }).first().click()
  const dialog = page.getByRole('dialog', { name: 'Import captions' })
  await dialog.getByLabel('Captions file').setInputFiles({ name: 'from-elsewhere.srt', mimeType: 'application/x-subrip', buffer: Buffer.from(srt, 'latin1') })
  await dialog.getByLabel('Keep their times').check()
  const preview = dialog.getByRole('region', { name: 'Preview' })
  await preview.getByText('Read as windows-1252 (detected): 2 pages').waitFor({ timeout: 10_000 })
  check((await preview.getByRole('listitem').first().textContent()).includes('café'), 'the preview shows the first cue as read')
  check((await captions(page, project))[1].text !== 'café', 'a preview saves nothing')
  await accessible(page, 'import')
  await page.screenshot({ path: join(out, 'import-1440.png') })
  await dialog.getByRole('button', { name: 'Import' }).click()
  await page.getByRole('status').filter({ hasText: /Imported 2 pages, \d+ words \(windows-1252, detected\)/ }).waitFor({ timeout: 20_000 })
  await saved(page)
  const after = await captions(page, project)
  check(after.length === before.length && after[1].text === 'café', `the file’s text, read in its encoding: ${after[1].text}`)
  check(after.every((w, i) => i === 1 || (w.start === before[i].start && w.end === before[i].end)), 'every word the file shares kept its recognised time')
  check(after[0].page_break === true && after[half].page_break === true && after.filter((w) => w.page_break).length === 2, 'each cue starts a page')
  await word(page, 'café').waitFor()
})

await flow('a file detection misreads: previewed in the encoding named, then imported in it', async () => {
  // Samsung JuvoPlayer's Windows-1252 test file: letters, not sentences, which Windows-1251 fits too.
  const file = readFileSync(join(root, 'crates/cofee-core/tests/captions-from-the-wild/juvoplayer/media_player_subs_windows-1252.srt'))
  await page.getByRole('button', { name: 'Import captions' }).first().click()
  const dialog = page.getByRole('dialog', { name: 'Import captions' })
  await dialog.getByLabel('Captions file').setInputFiles({ name: 'media_player_subs_windows-1252.srt', mimeType: 'application/x-subrip', buffer: file })
  const preview = dialog.getByRole('region', { name: 'Preview' })
  await preview.getByText(/Read as .* \(detected\): 9 pages/).waitFor({ timeout: 10_000 })
  await dialog.getByLabel('Text encoding').selectOption({ label: 'Western European (Windows-1252)' })
  await preview.getByText('Read as windows-1252: 9 pages').waitFor({ timeout: 10_000 })
  const first = await preview.getByRole('listitem').first().textContent()
  check(first === '[Western Europe] 0.5: Àà Áá Ââ Ææ Çç Èè Ïï Ðð Ññ Õõ Øø Ýý Þþ £ €', `the preview reads the letters right: ${first}`)
  await accessible(page, 'import-preview')
  await shots(page, 'import-preview')
  await dialog.getByRole('button', { name: 'Import' }).click()
  await page.getByRole('status').filter({ hasText: /Imported 9 pages, \d+ words \(windows-1252\)\./ }).waitFor({ timeout: 20_000 })
  const words = await captions(page, project)
  check(words[3].text === 'Àà' && words.at(-1).text === '€', `the words as the file has them: ${words.slice(0, 5).map((w) => w.text).join(' ')} … ${words.at(-1).text}`)
  const starts = words.filter((w) => w.page_break).map((w) => w.start)
  check(JSON.stringify(starts) === JSON.stringify([0.5, 1, 1.5, 2.5, 3, 3.5, 4, 4.5, 5]), `each cue a page from its own start: ${starts}`)
  await word(page, 'Àà').waitFor()
})

await flow('the project list: thumbnail in its proportions, state, rename, search', async () => {
  await page.getByRole('link', { name: '← Projects' }).click()
  const card = page.getByRole('list', { name: 'Projects' }).getByRole('listitem').first()
  await card.waitFor()
  await page.waitForFunction(() => document.querySelector('.project img')?.naturalWidth > 0, null, { timeout: 10_000 })
  const [w, h] = await page.$eval('.project img', (i) => [i.getBoundingClientRect().width, i.getBoundingClientRect().height])
  check(Math.abs(w / h - 540 / 960) < 0.05, `the thumbnail keeps the video's 9:16 proportions (${w.toFixed(0)}×${h.toFixed(0)})`)
  check((await card.textContent()).includes('rendered'), 'the card shows the project as rendered')
  check(/0:1[12]/.test(await card.getByLabel('Length').textContent()), 'the card shows the video’s length')
  await card.getByRole('button', { name: 'Rename e2e talk' }).click()
  const input = page.getByLabel('New name for e2e talk')
  await input.fill('Renamed talk')
  await input.press('Enter')
  await page.getByRole('link', { name: 'Renamed talk', exact: true }).waitFor()
  await page.getByLabel('Search projects').fill('nothing like it')
  check((await page.getByRole('list', { name: 'Projects' }).getByRole('listitem').count()) === 0, 'search filters')
  await page.getByLabel('Search projects').fill('renamed')
  await accessible(page, 'projects')
  await shots(page, 'projects')
})

await flow('the account: usage, API tokens shown once and revoked, webhooks, a new password', async () => {
  await page.getByRole('link', { name: 'Account' }).click()
  const usage = page.getByRole('region', { name: 'Usage' })
  await usage.getByText(/of 500/).waitFor()
  check((await usage.textContent()).includes('1 of 500'), 'usage counts the project')
  const tokens = page.getByRole('region', { name: 'API tokens' })
  await tokens.getByLabel('Token name').fill('ci script')
  await tokens.getByRole('button', { name: 'Create token' }).click()
  const secret = await page.getByRole('textbox', { name: 'New API token' }).inputValue()
  check(secret.startsWith('cofee_pat_'), 'the token is shown once')
  await accessible(page, 'account-token')
  await page.getByRole('button', { name: 'Done' }).click()
  const asToken = (t) => fetch(new URL('/api/projects', url), { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status)
  check((await asToken(secret)) === 200, 'the token works')
  await tokens.getByRole('button', { name: 'Revoke ci script' }).click()
  await tokens.getByText('No tokens.').waitFor()
  check((await asToken(secret)) === 401, 'a revoked token no longer works')
  const hooks = page.getByRole('region', { name: 'Webhooks' })
  // A receiver here: the test delivery reaches it signed.
  const received = []
  const receiver = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      received.push({ signature: req.headers['cofee-signature'], body: JSON.parse(body) })
      res.writeHead(204).end()
    })
  })
  await new Promise((done) => receiver.listen(0, '127.0.0.1', done))
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/cofee`
  await hooks.getByLabel('Webhook URL').fill(hookUrl)
  await hooks.getByRole('button', { name: 'Add webhook' }).click()
  await hooks.getByText(hookUrl).waitFor()
  check((await apiAs(page, 'GET', '/api/webhooks')).body.length === 1, 'the webhook is stored')
  await hooks.getByRole('button', { name: `Send a test event to ${hookUrl}` }).click()
  await hooks.getByRole('status').filter({ hasText: 'Test delivered' }).waitFor({ timeout: 30_000 })
  await page.screenshot({ path: join(out, 'account-webhook-test-1440.png') })
  check(received.length === 1 && received[0].body.type === 'webhook.test' && /^t=\d+,v1=[0-9a-f]{64}$/.test(received[0].signature), `the receiver got one signed test event: ${JSON.stringify(received)}`)
  receiver.close()
  await hooks.getByRole('button', { name: `Remove ${hookUrl}` }).click()
  await hooks.getByText('No webhooks.').waitFor()
  const password = page.getByRole('region', { name: 'Password' })
  await password.getByLabel('Current password').fill('correct horse battery')
  await password.getByLabel('New password').fill('a new horse battery')
  await password.getByRole('button', { name: 'Change password' }).click()
  await password.getByRole('status').filter({ hasText: 'Password changed' }).waitFor()
  check((await apiAs(page, 'GET', '/api/me')).status === 200, 'this session goes on')
  await accessible(page, 'account')
  await shots(page, 'account')
  await page.getByRole('link', { name: '← Projects' }).click()
})

await flow('sign-out revokes the session on the server', async () => {
  const refresh = await page.evaluate(() => localStorage.getItem('cofee.refresh'))
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByRole('button', { name: 'Sign in' }).waitFor()
  const res = await fetch(new URL('/api/auth/refresh', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: refresh }) })
  check(res.status === 401, `the refresh token no longer works (${res.status})`)
})

await browser.close()
server.kill('SIGTERM')
rmSync(work, { recursive: true, force: true })
const passed = results.filter(([, ok]) => ok).length
const failed = results.length - passed
console.log(`test result: ${failed === 0 ? 'ok' : 'FAILED'}. ${passed} passed; ${failed} failed; 0 ignored`)
process.exit(failed === 0 ? 0 : 1)

/** How many bytes differ between two PNG screenshots (decoded roughly: compares the files' bytes). */
/** How many pixels of a PNG are within `tolerance` (summed over R, G, B) of `rgb`, decoded by a browser page. */
async function pixelsNear(png, rgb, tolerance = 40) {
  const probe = await context.newPage()
  try {
    return await probe.evaluate(async ([b64, [r, g, b], tolerance]) => {
      const img = new Image()
      img.src = `data:image/png;base64,${b64}`
      await img.decode()
      const c = new OffscreenCanvas(img.width, img.height)
      const ctx = c.getContext('2d')
      ctx.drawImage(img, 0, 0)
      const d = ctx.getImageData(0, 0, img.width, img.height).data
      let n = 0
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < tolerance) n++
      return n
    }, [png.toString('base64'), rgb, tolerance])
  } finally {
    await probe.close()
  }
}

function differingBytes(a, b) {
  let n = Math.abs(a.length - b.length)
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++
  return n
}
