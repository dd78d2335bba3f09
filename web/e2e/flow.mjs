// End-to-end test of the web app in Debian's Chromium (Playwright, no downloaded browser):
// sign up, create a project, upload a video with real speech (tus), transcribe (sphinx), edit
// a word, pick a style and check the libass preview draws captions over the video, render,
// and download. Saves a screenshot. Prints a cargo-style result line that scripts/test.sh counts.

import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bin = process.env.COFEE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug', 'cofee')
const out = join(root, 'target', 'e2e')
mkdirSync(out, { recursive: true })
const work = mkdtempSync(join(tmpdir(), 'cofee-e2e-'))

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

const server = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', join(work, 'data'), '--engine', 'sphinx'], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((resolve, reject) => {
  server.stdout.on('data', (d) => { const m = String(d).match(/http:\/\/[0-9.:]+/); if (m) resolve(m[0]) })
  server.on('exit', (code) => reject(new Error(`cofee serve exited with ${code}`)))
})

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
})
let passed = false
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
  page.on('pageerror', (e) => console.error('page error:', e.message))
  // The W3C trace context of every API call, to check the editor sends one trace per session.
  const traceparents = []
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/api/')) traceparents.push([new URL(r.url()).pathname, r.headers().traceparent]) })
  await page.goto(url)
  await page.fill('input[name=email]', 'e2e@example.com')
  await page.fill('input[name=password]', 'correct horse battery')
  await page.click('[data-testid=sign-up]')
  await page.fill('input[name=project-name]', 'e2e talk')
  await page.click('[data-testid=create-project]')
  await page.setInputFiles('input[name=video]', video)
  await page.waitForSelector('[data-testid=video]', { timeout: 60_000 })

  await page.click('[data-testid=transcribe]')
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=words] span').length > 5, null, { timeout: 120_000 })
  const firstWords = await page.$$eval('[data-testid=words] span', (s) => s.map((e) => e.textContent.trim()))

  // Edit: replace the first word; the untouched second word keeps its time.
  const before = await page.$$eval('[data-testid=words] span', (s) => s.map((e) => e.title))
  const edited = ['Cofee', ...firstWords.slice(1)].join(' ')
  await page.fill('textarea[name=transcript]', edited)
  await page.click('[data-testid=save-text]')
  await page.waitForFunction(() => document.querySelector('[data-testid=words] span')?.textContent.trim() === 'Cofee', null, { timeout: 30_000 })
  const after = await page.$$eval('[data-testid=words] span', (s) => s.map((e) => e.title))
  check(after[1] === before[1], `the second word kept its time (${before[1]} → ${after[1]})`)

  // Re-time one word by hand: select it, move its end, save.
  await page.click('[data-testid=words] span:nth-child(4)')
  const [start4, end4] = (await page.$eval('[data-testid=words] span:nth-child(4)', (e) => e.title)).replace(' s', '').split('–').map(Number)
  const newEnd = (start4 + (end4 - start4) / 2).toFixed(2)
  await page.fill('input[name=word-end]', newEnd)
  await page.click('[data-testid=save-timing]')
  await page.waitForFunction((want) => document.querySelector('[data-testid=words] span:nth-child(4)')?.title.includes(`–${want}`), newEnd, { timeout: 10_000 })

  // Style, then look at the preview while a word is spoken.
  await page.selectOption('select[name=preset]', 'bold-pop')
  await page.waitForTimeout(1500)
  check(await page.isChecked('input[name=uppercase]'), 'choosing a preset shows its settings')
  await page.fill('input[name=keywords]', 'john')
  await page.dispatchEvent('input[name=keywords]', 'change')
  await page.waitForTimeout(1500)
  const t = await page.$eval('[data-testid=words] span:nth-child(3)', (e) => parseFloat(e.title.split('–')[0]) + 0.05)
  await page.$eval('[data-testid=video]', (v, time) => { v.currentTime = time }, t)
  // The preview renders in a worker: look until the caption canvas adds pixels (or give up).
  const player = page.locator('.player')
  let changed = 0
  for (let attempt = 0; attempt < 30 && changed <= 2000; attempt++) {
    await page.waitForTimeout(500)
    const withCaptions = await player.screenshot({ path: join(out, 'editor-preview.png') })
    await page.$eval('[data-testid=preview]', (c) => { c.style.visibility = 'hidden' })
    const without = await player.screenshot()
    await page.$eval('[data-testid=preview]', (c) => { c.style.visibility = 'visible' })
    changed = differingBytes(withCaptions, without)
  }
  console.error(`preview: ${changed} bytes of the screenshot differ with the caption canvas shown`)
  check(changed > 2000, 'the libass preview draws captions over the video')
  await page.screenshot({ path: join(out, 'editor.png'), fullPage: true })

  await page.click('[data-testid=render]')
  await page.waitForSelector('[data-testid=download-mp4]', { timeout: 180_000 })
  const href = await page.$eval('[data-testid=download-mp4]', (a) => a.href)
  const res = await fetch(href)
  check(res.ok && res.headers.get('content-type') === 'video/mp4', `download answers ${res.status} ${res.headers.get('content-type')}`)
  const bytes = Buffer.from(await res.arrayBuffer())
  check(bytes.length > 10_000 && bytes.subarray(4, 8).toString() === 'ftyp', 'the download is an MP4')
  // Change the signature's first digit (to another digit: one in sixteen already is a 0).
  const tampered = await fetch(href.replace(/sig=([0-9a-f])/, (_, d) => `sig=${d === '0' ? '1' : '0'}`))
  check(tampered.status === 403, 'a tampered link is refused')

  // Upload, transcription, render: every editor request carried a traceparent of one trace.
  const inEditor = traceparents.filter(([path]) => path.startsWith('/api/uploads') || /^\/api\/projects\/[^/]+\/(transcribe|renders|captions)/.test(path))
  const traceIds = new Set(inEditor.map(([, tp]) => /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(tp ?? '')?.[1] ?? `bad: ${tp}`))
  check(inEditor.length >= 4 && traceIds.size === 1 && ![...traceIds][0].startsWith('bad'), `one trace for the editing session: ${[...traceIds].join(', ')} over ${inEditor.length} requests`)

  // The project list shows it, with a thumbnail and its state.
  await page.click('text=← Projects')
  await page.waitForSelector('.project img')
  await page.waitForFunction(() => document.querySelector('.project img').naturalWidth > 0, null, { timeout: 10_000 })
  const status = await page.textContent('.project .status')
  check(status === 'rendered', `the list shows the project as rendered (got ${status})`)
  await page.screenshot({ path: join(out, 'projects.png') })

  // Phone width: the editor fits without sideways scrolling.
  await page.setViewportSize({ width: 390, height: 844 })
  await page.click('.project')
  await page.waitForSelector('[data-testid=video]')
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  await page.screenshot({ path: join(out, 'phone.png'), fullPage: true })
  check(overflow <= 1, `the editor fits a phone screen (overflows by ${overflow}px)`)
  passed = true
} catch (e) {
  console.error('e2e failed:', e)
} finally {
  await browser.close()
  server.kill('SIGTERM')
  rmSync(work, { recursive: true, force: true })
}
console.log(`test result: ${passed ? 'ok' : 'FAILED'}. ${passed ? 1 : 0} passed; ${passed ? 0 : 1} failed; 0 ignored`)
process.exit(passed ? 0 : 1)

/** How many bytes differ between two PNG screenshots (decoded roughly: compares the files' bytes). */
function differingBytes(a, b) {
  let n = Math.abs(a.length - b.length)
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++
  return n
}
