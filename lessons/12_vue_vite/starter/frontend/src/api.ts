// Every call the page makes to the Tasks API goes through api(): one place that knows the
// error envelope ({"error": {"code", "message", "details"}}) and the bearer token.
// Paths are the page's own: '/api/tasks' goes to the server that served the page, and in
// development Vite's proxy forwards it to FastAPI (vite.config.ts). They are read from the
// page's base (import.meta.env.BASE_URL): '/' on a laptop, /user/<name>/vite/ on a hub.

/** A path of the page's, under its base: '/api/tasks' -> /user/<name>/vite/api/tasks on a hub. */
function underBase(path: string): string {
  return path.startsWith('/') ? import.meta.env.BASE_URL + path.slice(1) : path
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message)
  }
}

export async function api<T>(path: string, init: RequestInit = {}, token: string | null = null): Promise<T> {
  const headers = new Headers(init.headers)
  headers.set('Accept', 'application/json')
  if (token) headers.set('Authorization', `Bearer ${token}`)
  const response = await fetch(underBase(path), { ...init, headers })
  const type = response.headers.get('Content-Type') ?? ''
  if (!type.includes('application/json')) {
    if (response.status === 204) return undefined as T
    // Vite answers paths it does not proxy with the page itself (index.html)
    throw new ApiError(`${path} did not answer with JSON (HTTP ${response.status}): is it proxied?`, response.status, 'not_json')
  }
  const body = await response.json()
  if (!response.ok) {
    const error = body?.error ?? {}
    throw new ApiError(error.message ?? `HTTP ${response.status}`, response.status, error.code ?? 'unknown')
  }
  return body as T
}
