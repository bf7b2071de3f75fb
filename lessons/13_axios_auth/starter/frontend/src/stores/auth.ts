import { ref } from 'vue'
import { defineStore } from 'pinia'

import { api, errorMessage } from '@/api'

interface TokenAnswer {
  access_token: string
  token_type: string
}

const KEY = 'tasks.token'

// Who is signed in.
// TODO(13): the token is saved in localStorage so that a reload keeps the session, as many
// tutorials do; but any script that runs in the page can read localStorage (the notebook
// shows one doing it). Keep the token in memory only (a plain ref): the refresh cookie,
// which no script can read, gets a new token after a reload.
export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(localStorage.getItem(KEY))
  const error = ref<string | null>(null)

  function remember(value: string | null): void {
    token.value = value
    if (value) localStorage.setItem(KEY, value)
    else localStorage.removeItem(KEY)
  }

  async function signIn(email: string, password: string): Promise<boolean> {
    error.value = null
    try {
      // OAuth2's password flow takes a form, not JSON (app/api/routes/auth.py)
      const form = new URLSearchParams({ username: email, password })
      const { data } = await api.post<TokenAnswer>('/auth/token', form)
      remember(data.access_token)
      return true
    } catch (problem) {
      error.value = errorMessage(problem)
      return false
    }
  }

  /** A new access token from the refresh cookie; null (signed out) when the session has ended. */
  async function refresh(): Promise<string | null> {
    try {
      const { data } = await api.post<TokenAnswer>('/auth/refresh')
      remember(data.access_token)
    } catch {
      remember(null)
    }
    return token.value
  }

  async function signOut(): Promise<void> {
    try {
      await api.post('/auth/logout')
    } finally {
      remember(null)
    }
  }

  return { token, error, signIn, refresh, signOut }
})
