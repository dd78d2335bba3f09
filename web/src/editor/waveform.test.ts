import { describe, expect, it } from 'vitest'
import { decodePeaks, pauseEdges, snap } from './waveform'

/** Version 2, 8-bit, 16 kHz, 160 samples a pixel (10 ms), as the server writes it. */
function dat(pairs: [number, number][]): ArrayBuffer {
  const b = new ArrayBuffer(24 + 2 * pairs.length)
  const v = new DataView(b)
  v.setInt32(0, 2, true)
  v.setUint32(4, 1, true)
  v.setInt32(8, 16000, true)
  v.setInt32(12, 160, true)
  v.setUint32(16, pairs.length, true)
  v.setInt32(20, 1, true)
  pairs.forEach(([min, max], i) => {
    v.setInt8(24 + 2 * i, min)
    v.setInt8(25 + 2 * i, max)
  })
  return b
}

describe('waveform peaks', () => {
  it('decode the audiowaveform format', () => {
    const p = decodePeaks(dat([[-128, 127], [-64, 10], [0, 0]]))
    expect(p.msPerPixel).toBe(10)
    expect([...p.level].map((l) => Math.round(l * 100) / 100)).toEqual([1, 0.5, 0])
  })

  it('find where sound stops and starts again after a pause, and snap to the nearest', () => {
    const loud: [number, number][] = Array(30).fill([-100, 100])
    const silent: [number, number][] = Array(20).fill([0, 1])
    const p = decodePeaks(dat([...loud, ...silent, ...loud, ...Array(5).fill([0, 0]), ...loud]))
    expect(pauseEdges(p)).toEqual([300, 500])
    expect(snap(310, [300, 500], 20)).toBe(300)
    expect(snap(340, [300, 500], 20)).toBe(340)
  })
})
