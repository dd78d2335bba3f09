import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'

// The built app is embedded in the cofee binary and served from `/`; the API is on the same
// origin. `npm run dev` proxies the API to a local `cofee serve`.
export default defineConfig({
  plugins: [solid()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
  worker: { format: 'es' },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/fonts': 'http://127.0.0.1:8080' } },
})
