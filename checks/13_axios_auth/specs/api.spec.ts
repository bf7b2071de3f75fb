// The course's own test of src/api.ts for lesson 13 (checks/13_axios_auth): the check
// copies it into frontend/src/__shiplings__/ for one Vitest run, then removes it. The
// learner's Axios instance is answered by axios-mock-adapter, which counts every request.
import { beforeEach, describe, expect, it } from 'vitest'
import MockAdapter from 'axios-mock-adapter'
import { createPinia, setActivePinia } from 'pinia'

import { api, onSessionExpired } from '@/api'
import { useAuthStore } from '@/stores/auth'

const EXPIRED = { error: { code: 'http_401', message: 'Your session has expired: sign in again.', details: null } }
const ENDED = { error: { code: 'session_ended', message: 'Your session has ended: sign in again.', details: null } }

let mock: MockAdapter
let refreshes = 0
let expiredCalls = 0

beforeEach(() => {
  setActivePinia(createPinia())
  // every answer arrives 20 ms later, as over a network: requests sent together overlap
  mock = new MockAdapter(api, { delayResponse: 20 })
  refreshes = 0
  expiredCalls = 0
  onSessionExpired(() => {
    expiredCalls += 1
  })
})

function answerTasksFor(token: string) {
  mock.onGet('/tasks').reply((config) => {
    const authorization = config.headers?.Authorization ?? config.headers?.authorization
    return authorization === `Bearer ${token}` ? [200, [{ id: 1, title: 'Fresh', done: false }]] : [401, EXPIRED]
  })
}

describe('lesson 13', () => {
  it('api sends the access token of the auth store as "Authorization: Bearer <token>"', async () => {
    useAuthStore().token = 'token-of-the-check'
    answerTasksFor('token-of-the-check')
    mock.onPost('/auth/refresh').reply(() => {
      refreshes += 1
      return [401, ENDED]
    })
    const answer = await api.get('/tasks').catch((error: unknown) => error)
    expect(mock.history.get?.[0]?.headers?.Authorization, 'the Authorization header api.get() sent').toBe(
      'Bearer token-of-the-check',
    )
    expect((answer as { status?: number }).status, 'the status of the answer').toBe(200)
  })

  it('five requests answered 401 together cause exactly one refresh, then all five are sent again', async () => {
    useAuthStore().token = 'expired-token'
    answerTasksFor('fresh-token')
    mock.onPost('/auth/refresh').reply(() => {
      refreshes += 1
      return [200, { access_token: 'fresh-token', token_type: 'bearer' }]
    })
    const answers = await Promise.allSettled([1, 2, 3, 4, 5].map(() => api.get('/tasks')))
    expect(refreshes, 'the number of POST /auth/refresh for five 401s that arrived together').toBe(1)
    const statuses = answers.map((answer) => (answer.status === 'fulfilled' ? answer.value.status : 'rejected'))
    expect(statuses, 'what the five requests ended with, after the refresh').toEqual([200, 200, 200, 200, 200])
    expect(useAuthStore().token, 'the token in the auth store after the refresh').toBe('fresh-token')
  })

  it('when the refresh fails, the store signs out, the requests fail and onSessionExpired handlers run', async () => {
    useAuthStore().token = 'expired-token'
    answerTasksFor('fresh-token')
    mock.onPost('/auth/refresh').reply(() => {
      refreshes += 1
      return [401, ENDED]
    })
    const answers = await Promise.allSettled([1, 2].map(() => api.get('/tasks')))
    expect(refreshes, 'the number of POST /auth/refresh').toBe(1)
    expect(answers.map((answer) => answer.status), 'what the requests ended with').toEqual(['rejected', 'rejected'])
    expect(useAuthStore().token, 'the token in the auth store after a failed refresh').toBeNull()
    expect(expiredCalls, 'the calls of the onSessionExpired handler (which sends the page to the login view)').toBeGreaterThan(0)
  })
})
