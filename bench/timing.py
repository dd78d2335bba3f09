"""Word timing against an independent forced alignment (bench/timing.sh runs this).

The measuring stick is PocketSphinx 5's HMM forced aligner on the reference transcription of
each input; Cofee and faster-whisper (same Whisper weights) transcribe the same audio. A
system's word is compared with the reference word it matches in a word-level alignment of the two
texts (difflib on normalised words), so recognition errors leave words out instead of skewing
the times. Prints per input and overall: median and p90 of |start error| and |end error|, and how
many words start or end inside a silence longer than 300 ms.

Usage: timing.py --cofee BIN --model GGML --ct2 DIR --inputs DIR   (DIR holds NAME.wav + NAME.txt)
"""

import argparse
import difflib
import json
import os
import re
import statistics
import subprocess
import sys
import time
import wave
from pathlib import Path

LONG_SILENCE = 0.300  # s: a gap between reference words at least this long is a silence
INSIDE = 0.050  # s: a word edge this far or more inside such a silence counts as inside it


def normalise(text):
    """Lower-case words without punctuation; hyphens split (as Whisper's normaliser does)."""
    words = []
    for w in re.sub(r"[-\u2013\u2014]", " ", text.lower()).split():
        w = re.sub(r"[^\w']", "", w).strip("'")
        w = {"mr": "mister", "mrs": "missus"}.get(w, w)
        if w:
            words.append(w)
    return words


def split_timed(words):
    """[(text, start, end)] → normalised parts; a word split in parts keeps its start on the first
    part and its end on the last (None where the edge is not the word's)."""
    out = []
    for text, start, end in words:
        parts = normalise(text)
        for i, p in enumerate(parts):
            out.append((p, start if i == 0 else None, end if i == len(parts) - 1 else None))
    return out


def read_pcm(path):
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        return w.readframes(w.getnframes())


def reference(pcm, text):
    """PocketSphinx's forced alignment: [(word, start, end)] in seconds, silences left out."""
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=16000, bestpath=False, loglevel="FATAL")
    decoder.set_align_text(" ".join(normalise(text)))
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    decoder.set_alignment()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    words = []
    for seg in decoder.get_alignment():
        name = re.sub(r"\(\d+\)$", "", seg.name)
        if name.startswith("<") or name.startswith("[") or name == "sil":
            continue
        words.append((name, seg.start / 100.0, (seg.start + seg.duration) / 100.0))
    return words


def silences(ref, duration):
    """Gaps of at least LONG_SILENCE between reference words (and before the first, after the
    last)."""
    edges = [0.0] + [t for _, s, e in ref for t in (s, e)] + [duration]
    gaps = [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]
    return [(a, b) for a, b in gaps if b - a >= LONG_SILENCE]


def inside(t, gaps):
    return t is not None and any(a + INSIDE <= t <= b - INSIDE for a, b in gaps)


def cofee(binary, model, wav):
    out = subprocess.run(
        [binary, "transcribe", "--engine", "whisper", "--model", model, "--language", "en",
         "--format", "json", "--quiet", str(wav)],
        check=True, capture_output=True, text=True,
    ).stdout
    return [(w["text"], w["start"], w["end"]) for w in json.loads(out)["words"]]


def faster_whisper(model, wav):
    return [(w.word, w.start, w.end) for seg in model.transcribe(
        str(wav), language="en", beam_size=5, word_timestamps=True)[0] for w in seg.words]


def compare(hyp, ref, gaps):
    """Errors of the hypothesis's word edges against the reference words they match."""
    hyp = split_timed(hyp)
    ref_w = [w for w, _, _ in ref]
    starts, ends = [], []
    matcher = difflib.SequenceMatcher(a=[w for w, _, _ in hyp], b=ref_w, autojunk=False)
    for a, b, n in matcher.get_matching_blocks():
        for k in range(n):
            _, hs, he = hyp[a + k]
            _, rs, re_ = ref[b + k]
            if hs is not None:
                starts.append(abs(hs - rs))
            if he is not None:
                ends.append(abs(he - re_))
    in_silence = sum(inside(s, gaps) or inside(e, gaps) for _, s, e in hyp)
    if os.environ.get("TIMING_VERBOSE"):
        for a, b, n in matcher.get_matching_blocks():
            for k in range(n):
                w, hs, he = hyp[a + k]
                _, rs, re_ = ref[b + k]
                flag = " IN SILENCE" if inside(hs, gaps) or inside(he, gaps) else ""
                print(f"    {w:>12} {hs or 0:7.2f} {he or 0:7.2f}  ref {rs:7.2f} {re_:7.2f}  "
                      f"{((hs or rs) - rs) * 1000:+5.0f} {((he or re_) - re_) * 1000:+5.0f}{flag}")
    matched = sum(n for _, _, n in matcher.get_matching_blocks())
    return starts, ends, in_silence, matched


def p(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] * 1000


def write_reference(out):
    """The reference alignment of each LibriVox recording alone, as the real-model tests read it
    (crates/cofee-speech/tests/data/librivox-alignment.tsv)."""
    src = Path("/usr/share/pocketsphinx/test/data/librivox")
    texts = dict((m[2], m[1]) for m in re.finditer(r"<s> (.*) </s> \((.*)\)", (src / "transcription").read_text()))
    with open(out, "w") as f:
        f.write("# PocketSphinx 5.1.1 forced alignment (en-us model, `bench/timing.py --write-reference`)\n"
                "# of Debian's pocketsphinx-testdata LibriVox recordings: recording, word, start ms, end ms\n")
        for rec in (src / "fileids").read_text().split():
            for w, s, e in reference(read_pcm(src / f"{rec}.wav"), texts[rec]):
                f.write(f"{rec}\t{w}\t{round(s * 1000)}\t{round(e * 1000)}\n")


def main():
    if sys.argv[1:2] == ["--write-reference"]:
        return write_reference(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("--cofee", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ct2", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    from faster_whisper import WhisperModel

    fw = WhisperModel(args.ct2, device="cpu", compute_type="float32", cpu_threads=args.threads)
    totals = {"cofee": [[], [], 0, 0, 0.0], "faster-whisper": [[], [], 0, 0, 0.0]}
    n_ref = 0
    print(f"{'input':<10} {'system':<15} {'words':>5} {'start med/p90 ms':>17} "
          f"{'end med/p90 ms':>15} {'in silence':>10}")
    for wav in sorted(Path(args.inputs).glob("*.wav")):
        pcm = read_pcm(wav)
        duration = len(pcm) / 32000
        ref = reference(pcm, wav.with_suffix(".txt").read_text())
        gaps = silences(ref, duration)
        n_ref += len(ref)
        for name, run in (("cofee", lambda: cofee(args.cofee, args.model, wav)),
                          ("faster-whisper", lambda: faster_whisper(fw, wav))):
            t0 = time.monotonic()
            hyp = run()
            took = time.monotonic() - t0
            starts, ends, in_sil, matched = compare(hyp, ref, gaps)
            tot = totals[name]
            tot[0] += starts
            tot[1] += ends
            tot[2] += in_sil
            tot[3] += matched
            tot[4] += took
            print(f"{wav.stem:<10} {name:<15} {matched:>5} {p(starts, .5):>8.0f} /{p(starts, .9):>5.0f}"
                  f"   {p(ends, .5):>6.0f} /{p(ends, .9):>5.0f} {in_sil:>10}")
    print(f"reference: {n_ref} words aligned by PocketSphinx; a silence is a gap ≥ "
          f"{LONG_SILENCE * 1000:.0f} ms, an edge inside it ≥ {INSIDE * 1000:.0f} ms from its ends")
    summary = []
    for name, (starts, ends, in_sil, matched, took) in totals.items():
        key = name.replace("-", "_")
        print(f"all        {name:<15} {matched:>5} {p(starts, .5):>8.0f} /{p(starts, .9):>5.0f}"
              f"   {p(ends, .5):>6.0f} /{p(ends, .9):>5.0f} {in_sil:>10}   ({took:.1f} s)")
        summary += [f"{key}_start_median_ms={p(starts, .5):.0f}", f"{key}_start_p90_ms={p(starts, .9):.0f}",
                    f"{key}_end_median_ms={p(ends, .5):.0f}", f"{key}_end_p90_ms={p(ends, .9):.0f}",
                    f"{key}_in_silence={in_sil}", f"{key}_matched={matched}"]
    print(" ".join(summary))


if __name__ == "__main__":
    sys.exit(main())
