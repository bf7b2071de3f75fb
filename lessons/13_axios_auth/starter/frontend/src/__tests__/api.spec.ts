// Unit tests of src/api.ts: the Axios instance answered by axios-mock-adapter instead of
// the network (`new MockAdapter(api)`), so each test says exactly what the API answers.
import { describe, it } from 'vitest'

describe('api', () => {
  // TODO(13): with a fresh Pinia (setActivePinia(createPinia()) in beforeEach) and a mock
  // adapter on `api`, put a token into useAuthStore() and check the Authorization header the
  // mock received (config.headers.Authorization in a reply function).
  it.todo('sends the token of the auth store as a bearer token')

  // TODO(13): GET /tasks answers 401 to the old token and 200 to the new one; POST
  // /auth/refresh answers { access_token: 'fresh', token_type: 'bearer' }.
  it.todo('refreshes an expired token and sends the request again')
})
