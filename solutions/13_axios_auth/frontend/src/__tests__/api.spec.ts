// Unit tests of src/api.ts: the Axios instance answered by axios-mock-adapter instead of
// the network, so each test says exactly what the API answers.
import { beforeEach, describe, expect, it } from 'vitest'
import MockAdapter from 'axios-mock-adapter'
import { createPinia, setActivePinia } from 'pinia'

import { api, errorMessage } from '@/api'
import { useAuthStore } from '@/stores/auth'

let mock: MockAdapter

beforeEach(() => {
  setActivePinia(createPinia())
  mock = new MockAdapter(api)
})

describe('api', () => {
  it('sends the token of the auth store as a bearer token', async () => {
    useAuthStore().token = 'my-token'
    mock.onGet('/tasks').reply((config) => [200, { authorization: config.headers?.Authorization }])
    const { data } = await api.get('/tasks')
    expect(data.authorization).toBe('Bearer my-token')
  })

  it('refreshes an expired token and sends the request again', async () => {
    useAuthStore().token = 'expired'
    mock.onPost('/auth/refresh').reply(200, { access_token: 'fresh', token_type: 'bearer' })
    mock.onGet('/tasks').reply((config) =>
      config.headers?.Authorization === 'Bearer fresh' ? [200, []] : [401, { error: { code: 'x', message: 'no' } }],
    )
    const { data } = await api.get('/tasks')
    expect(data).toEqual([])
    expect(useAuthStore().token).toBe('fresh')
  })

  it("shows the envelope's message", async () => {
    mock.onPost('/auth/token').reply(400, { error: { code: 'invalid_credentials', message: 'Incorrect email or password.' } })
    const failure = await api.post('/auth/token').catch((error: unknown) => error)
    expect(errorMessage(failure)).toBe('Incorrect email or password.')
  })
})
