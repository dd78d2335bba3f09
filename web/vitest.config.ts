import { defineConfig } from 'vitest/config'

// Unit tests of the pure modules (the editor store): no browser needed.
export default defineConfig({ test: { include: ['src/**/*.test.ts'], environment: 'node' } })
