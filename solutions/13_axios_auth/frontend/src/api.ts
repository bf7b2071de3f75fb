// Every call the page makes to the Tasks API goes through `api`, one Axios instance: one
// place that knows the base URL, the bearer token and the error envelope
// ({"error": {"code", "message", "details"}}).
//
// Paths are the API's own ('/tasks'); the base URL puts them on the page's origin under
// api/ beside the page (/api on a laptop, /user/<name>/vite/api on a hub), where Vite's
// proxy forwards them to FastAPI in development (vite.config.ts).
// VITE_API_BASE in frontend/.env changes it for a build that talks to another address.
//
// The access token lives in the auth store, in memory: never in localStorage or
// sessionStorage, which every script on the page can read, an injected one included.
// When it expires the API answers 401; the response interceptor then gets a new one
// with the refresh cookie (POST /auth/refresh) and sends the request again. However
// many requests fail together, they wait for ONE refresh: the server rotates the refresh
// token on every use, so a second refresh with the same cookie would be refused as a
// reuse and end the session.
import axios, { type AxiosError, type InternalAxiosRequestConfig } from 'axios'

import { useAuthStore } from '@/stores/auth'

export const api = axios.create({
  baseURL: import.meta.env.VITE_API_BASE ?? `${import.meta.env.BASE_URL}api`,
  headers: { Accept: 'application/json' },
})

// The routes that sign in and out: their 401s are answers, not expired tokens.
const AUTH_ROUTES = ['/auth/token', '/auth/refresh', '/auth/logout']

interface Retried extends InternalAxiosRequestConfig {
  retried?: boolean
}

// The refresh in flight, if any: every 401 that arrives meanwhile waits for this one.
let refreshing: Promise<string | null> | null = null

let sessionExpired: () => void = () => {}

/** What to do when the session cannot be renewed (main.ts: go to the login view). */
export function onSessionExpired(handler: () => void): void {
  sessionExpired = handler
}

api.interceptors.request.use((config) => {
  const { token } = useAuthStore()
  if (token) config.headers.set('Authorization', `Bearer ${token}`)
  return config
})

api.interceptors.response.use(undefined, async (error: AxiosError) => {
  const config = error.config as Retried | undefined
  if (error.response?.status !== 401 || !config || config.retried || AUTH_ROUTES.includes(config.url ?? '')) {
    throw error
  }
  const auth = useAuthStore()
  const sent = config.headers.get('Authorization')
  // A request sent with an older token than the store holds now: a refresh has already
  // happened since, so it only needs sending again.
  if (!auth.token || sent === `Bearer ${auth.token}`) {
    refreshing ??= auth.refresh().finally(() => {
      refreshing = null
    })
    if (!(await refreshing)) {
      sessionExpired()
      throw error
    }
  }
  config.retried = true
  return api(config)
})

/** The message to show for a failed call: the envelope's, else what went wrong. */
export function errorMessage(error: unknown): string {
  // isAxiosError, not instanceof: a second copy of axios (a test's mock adapter) has its own class
  if (axios.isAxiosError(error)) {
    const envelope = error.response?.data as { error?: { message?: string } } | undefined
    if (envelope?.error?.message) return envelope.error.message
    if (error.response) return `The API answered HTTP ${error.response.status}.`
    return `The API did not answer: ${error.message}`
  }
  return String(error)
}
