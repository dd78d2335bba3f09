// Renders `composition.jsx` over INPUT frame by frame in Debian's Chromium, as Remotion does:
// the source's frames decoded by FFmpeg (JPEG, as Remotion's OffthreadVideo hands them to the
// page), each frame drawn by React and screenshotted (JPEG, quality 80: Remotion's default),
// the screenshots encoded by FFmpeg with x264 and the source's audio copied.
// Usage: node render.mjs INPUT WORDS_JSON OUTPUT PRESET CRF
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const [input, wordsFile, output, preset, crf] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = await build({ entryPoints: [path.join(here, "composition.jsx")], bundle: true, minify: true, write: false,
  define: { "process.env.NODE_ENV": '"production"' }, logLevel: "warning" });
const words = JSON.parse(fs.readFileSync(wordsFile, "utf8")).words;

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1080, height: 1920 } });
await page.setContent(`<html><body style="margin:0"><div id="root"></div>
  <script>window.WORDS = ${JSON.stringify(words)};</script><script>${bundle.outputFiles[0].text}</script></body></html>`);

const decoder = spawn("ffmpeg", ["-v", "error", "-i", input, "-map", "0:v:0", "-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "2", "-"]);
const encoder = spawn("ffmpeg", ["-v", "error", "-y", "-f", "image2pipe", "-framerate", "30", "-c:v", "mjpeg", "-i", "-",
  "-i", input, "-map", "0:v", "-map", "1:a:0", "-c:a", "copy", "-c:v", "libx264", "-preset", preset, "-crf", crf,
  "-pix_fmt", "yuv420p", "-movflags", "+faststart", output], { stdio: ["pipe", "inherit", "inherit"] });

// JPEG frames end with the EOI marker; entropy-coded data never holds 0xFF 0xD9 (0xFF is stuffed).
async function* frames(stream) {
  let pending = Buffer.alloc(0);
  for await (const chunk of stream) {
    pending = Buffer.concat([pending, chunk]);
    let end;
    while ((end = pending.indexOf(Buffer.from([0xff, 0xd9]))) >= 0) {
      yield pending.subarray(0, end + 2);
      pending = pending.subarray(end + 2);
    }
  }
}

let n = 0;
for await (const jpeg of frames(decoder.stdout)) {
  await page.evaluate(([f, src]) => window.show(f, src), [n, `data:image/jpeg;base64,${jpeg.toString("base64")}`]);
  const shot = await page.screenshot({ type: "jpeg", quality: 80 });
  if (!encoder.stdin.write(shot)) await new Promise((r) => encoder.stdin.once("drain", r));
  n += 1;
}
encoder.stdin.end();
const code = await new Promise((r) => encoder.on("close", r));
await browser.close();
if (code !== 0) throw new Error(`the encoder exited with ${code}`);
console.log(`frames=${n}`);
