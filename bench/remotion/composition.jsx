// The composition a Remotion user writes for TikTok-style captions, as plain React: the source
// frame full size, pages of three words over it, the active word in another colour and scaled
// up, bold uppercase outlined text. `window.show(frame, src)` draws frame `frame` (30 fps) over
// the source picture `src` and resolves once the browser has painted it.
import React from "react";
import { createRoot } from "react-dom/client";

const FPS = 30;
const WORDS_PER_PAGE = 3;

function pagesOf(words) {
  const pages = [];
  for (let i = 0; i < words.length; i += WORDS_PER_PAGE) pages.push(words.slice(i, i + WORDS_PER_PAGE));
  return pages;
}

function Caption({ pages, t }) {
  const page = pages.find((p) => t >= p[0].start && t < p[p.length - 1].end) ?? [];
  return (
    <div style={{ position: "absolute", bottom: 480, width: "100%", textAlign: "center", fontFamily: "Noto Sans",
      fontWeight: 900, fontSize: 96, textTransform: "uppercase", WebkitTextStroke: "8px black", paintOrder: "stroke fill" }}>
      {page.map((w, i) => {
        const active = t >= w.start && t < w.end;
        return (
          <span key={i} style={{ display: "inline-block", margin: "0 0.2em", color: active ? "#ffe600" : "white",
            transform: active ? "scale(1.25)" : "none" }}>{w.text}</span>
        );
      })}
    </div>
  );
}

function Frame({ pages, frame, src }) {
  return (
    <div style={{ width: 1080, height: 1920, position: "relative", overflow: "hidden" }}>
      <img src={src} style={{ position: "absolute", width: 1080, height: 1920 }} />
      <Caption pages={pages} t={frame / FPS} />
    </div>
  );
}

const pages = pagesOf(window.WORDS);
const root = createRoot(document.getElementById("root"));
window.show = (frame, src) =>
  new Promise((painted) => {
    root.render(<Frame pages={pages} frame={frame} src={src} />);
    const img = document.querySelector("img");
    const paint = () => requestAnimationFrame(() => requestAnimationFrame(painted));
    if (img && !img.complete) img.onload = paint;
    else paint();
  });
