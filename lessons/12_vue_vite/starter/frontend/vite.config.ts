import { fileURLToPath, URL } from 'node:url'

import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// https://vite.dev/config/
export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  // TODO(12): a dev proxy, so the page calls the API on its own origin and needs no CORS:
  // server.proxy forwards /api/... (and nothing else) to the FastAPI backend, by default
  // http://127.0.0.1:8000, or process.env.BACKEND_URL when that is set (the checks set it).
  // The backend serves its routes without the prefix: /api/tasks must arrive as /tasks.
})
