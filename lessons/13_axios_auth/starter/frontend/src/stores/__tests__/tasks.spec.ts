import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { AxiosResponse } from 'axios'

import { api } from '@/api'
import { useTasksStore, type Task } from '../tasks'

// the store's calls answered by the test, in the order it chooses
vi.mock('@/api', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@/api')>()),
  api: { get: vi.fn(), post: vi.fn() },
}))

const answer = <T>(data: T) => ({ data }) as AxiosResponse<T>

describe('the tasks store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.mocked(api.get).mockReset()
    vi.mocked(api.post).mockReset()
  })

  it('keeps a task added while the list was on its way', async () => {
    let answerList: (tasks: Task[]) => void = () => {}
    vi.mocked(api.get).mockReturnValueOnce(new Promise((resolve) => (answerList = (tasks) => resolve(answer(tasks)))))
    vi.mocked(api.post).mockResolvedValueOnce(answer({ id: 2, title: 'Added at once', done: false }))
    const store = useTasksStore()
    const loading = store.load()
    await store.add('Added at once')
    answerList([{ id: 1, title: 'Already there', done: false }]) // read before the new task existed
    await loading
    expect(store.tasks.map((task) => task.title)).toEqual(['Already there', 'Added at once'])
  })
})
