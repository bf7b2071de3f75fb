import { ref } from 'vue'
import { defineStore } from 'pinia'

import { api, errorMessage } from '@/api'

interface TokenAnswer {
  access_token: string
  token_type: string
}

// Who is signed in. The access token is kept here, in memory only: a reload forgets it,
// and the refresh cookie (httpOnly, so no script can read it) gets a new one.
export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(null)
  const error = ref<string | null>(null)

  async function signIn(email: string, password: string): Promise<boolean> {
    error.value = null
    try {
      // OAuth2's password flow takes a form, not JSON (app/api/routes/auth.py)
      const form = new URLSearchParams({ username: email, password })
      const { data } = await api.post<TokenAnswer>('/auth/token', form)
      token.value = data.access_token
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
      token.value = data.access_token
    } catch {
      token.value = null
    }
    return token.value
  }

  async function signOut(): Promise<void> {
    try {
      await api.post('/auth/logout')
    } finally {
      token.value = null
    }
  }

  return { token, error, signIn, refresh, signOut }
})
