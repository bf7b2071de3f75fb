// Every call the page makes to the Tasks API goes through `api`, one Axios instance: one
// place that knows the base URL, the bearer token and the error envelope
// ({"error": {"code", "message", "details"}}).
//
// Paths are the API's own ('/tasks'); the base URL puts them on the page's origin under
// api/ beside the page (/api on a laptop, /user/<name>/vite/api on a hub), where Vite's
// proxy forwards them to FastAPI in development (vite.config.ts).
// VITE_API_BASE in frontend/.env changes it for a build that talks to another address.
import axios from 'axios'

export const api = axios.create({
  baseURL: import.meta.env.VITE_API_BASE ?? `${import.meta.env.BASE_URL}api`,
  headers: { Accept: 'application/json' },
})

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the response interceptor (TODO below) calls it
let sessionExpired: () => void = () => {}

/** What to do when the session cannot be renewed (main.ts: go to the login view). */
export function onSessionExpired(handler: () => void): void {
  sessionExpired = handler
}

// TODO(13): a request interceptor on `api` (this instance, not the default axios) that adds
// `Authorization: Bearer <token>` with the token of the auth store (useAuthStore() from
// '@/stores/auth', called inside the interceptor).

// TODO(13): a response interceptor on `api`: a 401 (not from the /auth/... routes themselves)
// means the access token expired. Get a new one with the auth store's refresh(), ONE refresh
// for all the requests that fail together (keep its promise while it runs: the server rotates
// the refresh token, so a second refresh with the same cookie is refused as a reuse), then
// send the request again: `return api(config)`, once. When the refresh fails (null), call
// sessionExpired() and let the request fail.

/** The message to show for a failed call: the envelope's, else what went wrong. */
export function errorMessage(error: unknown): string {
  // TODO(13): for an Axios error with an answer (axios.isAxiosError(error) && error.response),
  // the envelope's error.response.data.error.message: Axios's own "Request failed with status
  // code 400" means nothing to a person.
  return String(error)
}
