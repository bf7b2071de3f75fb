import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'

import { api } from '@/api'
import { useTasksStore, type Task } from '../tasks'

// the store's calls answered by the test, in the order it chooses
vi.mock('@/api', async (importOriginal) => ({ ...(await importOriginal<typeof import('@/api')>()), api: vi.fn() }))

describe('the tasks store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.mocked(api).mockReset()
  })

  it('keeps a task added while the list was on its way', async () => {
    let answerList: (tasks: Task[]) => void = () => {}
    vi.mocked(api)
      .mockReturnValueOnce(new Promise((resolve) => (answerList = resolve)))
      .mockResolvedValueOnce({ id: 2, title: 'Added at once', done: false })
    const store = useTasksStore()
    const loading = store.load()
    await store.add('Added at once')
    answerList([{ id: 1, title: 'Already there', done: false }]) // read before the new task existed
    await loading
    expect(store.tasks.map((task) => task.title)).toEqual(['Already there', 'Added at once'])
  })
})
