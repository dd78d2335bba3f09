// Waveform peaks as the server writes them (audiowaveform's binary format, version 1 or 2, 8 or
// 16 bit: per pixel a min and max), and where the speech pauses — the edges a dragged word
// snaps to.

export type Peaks = {
  /** Milliseconds per pixel of the data. */
  msPerPixel: number
  /** Per pixel, the larger of |min| and |max|, 0..1. */
  level: Float32Array
}

export function decodePeaks(buffer: ArrayBuffer): Peaks {
  const view = new DataView(buffer)
  const version = view.getInt32(0, true)
  const eightBit = (view.getUint32(4, true) & 1) === 1
  const sampleRate = view.getInt32(8, true)
  const samplesPerPixel = view.getInt32(12, true)
  const length = view.getUint32(16, true)
  const header = version === 2 ? 24 : 20
  if ((version !== 1 && version !== 2) || sampleRate <= 0 || samplesPerPixel <= 0) throw new Error('not waveform data')
  const level = new Float32Array(length)
  for (let i = 0; i < length; i++) {
    const [min, max] = eightBit
      ? [view.getInt8(header + 2 * i) / 128, view.getInt8(header + 2 * i + 1) / 128]
      : [view.getInt16(header + 4 * i, true) / 32768, view.getInt16(header + 4 * i + 2, true) / 32768]
    level[i] = Math.min(1, Math.max(Math.abs(min), Math.abs(max)))
  }
  return { msPerPixel: (1000 * samplesPerPixel) / sampleRate, level }
}

/**
 * Where sound starts and stops (ms): the edges of quiet stretches at least `minMs` long, quiet
 * being under a tenth of the loudest level — or under 0.02 in a recording with no sound at all.
 */
export function pauseEdges(peaks: Peaks, minMs = 120): number[] {
  const loudest = peaks.level.reduce((a, b) => Math.max(a, b), 0)
  const quiet = Math.max(0.02, loudest * 0.1)
  const edges: number[] = []
  let from = -1
  const minPixels = Math.ceil(minMs / peaks.msPerPixel)
  for (let i = 0; i <= peaks.level.length; i++) {
    const isQuiet = i < peaks.level.length && peaks.level[i] < quiet
    if (isQuiet && from < 0) from = i
    if (!isQuiet && from >= 0) {
      if (i - from >= minPixels) {
        if (from > 0) edges.push(from * peaks.msPerPixel)
        if (i < peaks.level.length) edges.push(i * peaks.msPerPixel)
      }
      from = -1
    }
  }
  return edges
}

/** The candidate nearest `ms` if within `withinMs`, else `ms`. */
export function snap(ms: number, candidates: Iterable<number>, withinMs: number): number {
  let best = ms
  let distance = withinMs
  for (const c of candidates) {
    const d = Math.abs(c - ms)
    if (d <= distance) {
      best = c
      distance = d
    }
  }
  return best
}
