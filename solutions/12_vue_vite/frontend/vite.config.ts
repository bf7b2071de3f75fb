import { fileURLToPath, URL } from 'node:url'

import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Where the FastAPI backend listens in development (`uvicorn app.main:app --reload`);
// set BACKEND_URL to run it elsewhere (the checks and the notebook do).
const backend = process.env.BACKEND_URL ?? 'http://127.0.0.1:8000'

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
    server: {
      proxy: {
        // The page calls the API on its own origin, so the browser needs no CORS; Vite
        // forwards those requests to the backend, which serves its routes without the
        // prefix: /api/tasks -> /tasks. Every other path stays Vite's (the page, its modules).
        // Vite matches the key against the whole path, base and all: the key is `api`, not '/api'.
        [api]: {
          target: backend,
          changeOrigin: true,
          rewrite: (path) => path.slice(api.length),
        },
      },
    },
  }
})
