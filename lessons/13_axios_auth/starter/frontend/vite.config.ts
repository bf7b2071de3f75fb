import { fileURLToPath, URL } from 'node:url'

import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Where the FastAPI backend listens in development (`uvicorn app.main:app --reload`);
// set BACKEND_URL to run it elsewhere (the checks and the notebook do).
const backend = process.env.BACKEND_URL ?? 'http://127.0.0.1:8000'

// https://vite.dev/config/
export default defineConfig({
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  server: {
    proxy: {
      // The page calls /api/... on its own origin, so the browser needs no CORS; Vite
      // forwards those requests to the backend, which serves its routes without the
      // prefix: /api/tasks -> /tasks. Every other path stays Vite's (the page, its modules).
      '/api': {
        target: backend,
        changeOrigin: true,
        rewrite: (path) => path.replace(/^\/api/, ''),
        // The backend scopes its refresh cookie to its own /auth routes (Path=/auth); the
        // browser sees them at /api/auth, so the cookie's path gets the same prefix back.
        cookiePathRewrite: { '/auth': '/api/auth' },
      },
    },
  },
})
