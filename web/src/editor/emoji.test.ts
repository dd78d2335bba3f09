import { describe, expect, it } from 'vitest'
import { fill, search, suggestFor, svgPath, type EmojiEntry } from './emoji'

const catalogue: EmojiEntry[] = [
  { emoji: '🔥', name: 'fire', keywords: ['fire', 'hot', 'lit'], layers: [{ color: '#F4900C', drawing: 'm 0 0 l 10 0 10 10' }] },
  { emoji: '💰', name: 'money bag', keywords: ['money', 'cash'], layers: [{ color: '#FFCC4D80', drawing: 'm 0 0 b 1 2 3 4 5 6 m 7 7 l 8 8' }] },
]

describe('emoji', () => {
  it('turns ASS drawings into SVG paths, closing every contour', () => {
    expect(svgPath('m 0 0 l 10 0 10 10')).toBe('M 0 0 L 10 0 10 10 Z')
    expect(svgPath('m 0 0 b 1 2 3 4 5 6 m 7 7 l 8 8')).toBe('M 0 0 C 1 2 3 4 5 6 Z M 7 7 L 8 8 Z')
  })

  it('reads a colour with its opacity', () => {
    expect(fill('#F4900C')).toEqual({ fill: '#F4900C', opacity: 1 })
    expect(fill('#FFCC4D80').opacity).toBeCloseTo(0.502, 3)
  })

  it('suggests by a whole spoken word, whatever its case and punctuation', () => {
    expect(suggestFor(catalogue, 'Money,')?.emoji).toBe('💰')
    expect(suggestFor(catalogue, '“lit!”')?.emoji).toBe('🔥')
    expect(suggestFor(catalogue, 'lithium')).toBeUndefined()
    expect(suggestFor(catalogue, '…')).toBeUndefined()
  })

  it('searches names and keywords by their start', () => {
    expect(search(catalogue, '').length).toBe(2)
    expect(search(catalogue, 'bag').map((e) => e.emoji)).toEqual(['💰'])
    expect(search(catalogue, 'HO').map((e) => e.emoji)).toEqual(['🔥'])
    expect(search(catalogue, '💰').map((e) => e.emoji)).toEqual(['💰'])
    expect(search(catalogue, 'zebra')).toEqual([])
  })
})
