import { fileURLToPath, URL } from 'node:url'

import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// https://vite.dev/config/
export default defineConfig(({ mode }) => {
  // Where the dev server puts the page: '/' on a laptop; on a JupyterHub or Binder, the
  // address jupyter-server-proxy gives it (/user/<name>/vite/), which the course puts in
  // VITE_DEV_BASE. A build (mode 'production') and the unit tests (mode 'test') use '/'.
  const base = mode === 'development' ? (process.env.VITE_DEV_BASE ?? '/') : '/'
  // The page's API calls: /api/... on a laptop, /user/<name>/vite/api/... on a hub.
  const api = `${base}api`
  return {
    base,
    plugins: [vue()],
    resolve: {
      alias: {
        '@': fileURLToPath(new URL('./src', import.meta.url)),
      },
    },
    // TODO(12): a dev proxy, so the page calls the API on its own origin and needs no CORS:
    // server.proxy forwards the paths under `api` (and nothing else) to the FastAPI backend,
    // by default http://127.0.0.1:8000, or process.env.BACKEND_URL when that is set (the checks
    // set it). The backend serves its routes without the prefix: /api/tasks must arrive as /tasks.
  }
})
