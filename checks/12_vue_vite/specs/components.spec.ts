// The course's own component test for lesson 12 (checks/12_vue_vite): the check copies it
// into frontend/src/__shiplings__/ for one Vitest run, then removes it. It drives the
// learner's TaskList, TaskForm and tasks store against a stand-in for fetch that answers
// as the Tasks API does and remembers every request.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'

import TaskForm from '@/components/TaskForm.vue'
import TaskList from '@/components/TaskList.vue'
import { useTasksStore } from '@/stores/tasks'

interface Sent {
  url: string
  method: string
  authorization: string | null
  body: unknown
}

let sent: Sent[] = []
let pinia: Pinia

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

beforeEach(() => {
  sent = []
  pinia = createPinia()
  setActivePinia(pinia)
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const method = (init.method ?? 'GET').toUpperCase()
    const authorization = new Headers(init.headers).get('Authorization')
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : null
    sent.push({ url, method, authorization, body })
    if (method === 'POST') return json(201, { id: 7, title: (body as { title: string }).title, done: false })
    return json(200, [{ id: 1, title: 'From the API', done: false }])
  })
})

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('lesson 12', () => {
  it('store.load() sends GET /api/tasks with the token and keeps the answer', async () => {
    const store = useTasksStore()
    store.token = 'token-of-the-check'
    await store.load()
    expect(sent.map((request) => `${request.method} ${request.url}`), 'the requests load() sent').toEqual([
      'GET /api/tasks',
    ])
    expect(sent[0]?.authorization, 'the Authorization header load() sent').toBe('Bearer token-of-the-check')
    expect(store.tasks.map((task) => task.title), 'the titles in store.tasks after load()').toEqual(['From the API'])
  })

  it('TaskList shows one [data-test="task"] per task in the store, with its title', () => {
    useTasksStore().tasks = [
      { id: 1, title: 'First', done: false },
      { id: 2, title: 'Second', done: true },
    ]
    const wrapper = mount(TaskList, { global: { plugins: [pinia] } })
    const shown = wrapper.findAll('[data-test="task"]').map((item) => item.text())
    expect(shown, 'the [data-test="task"] items TaskList showed').toEqual(['First', 'Second'])
  })

  it('TaskForm posts the title to /api/tasks as JSON, the list then shows it, and the input is emptied', async () => {
    const store = useTasksStore()
    store.token = 'token-of-the-check'
    const form = mount(TaskForm, { global: { plugins: [pinia] } })
    const list = mount(TaskList, { global: { plugins: [pinia] } })
    await form.get('[data-test="new-title"]').setValue('  Buy milk  ')
    await form.get('form').trigger('submit')
    await flushPromises()
    expect(sent.map((request) => `${request.method} ${request.url}`), 'the requests submitting the form sent').toEqual([
      'POST /api/tasks',
    ])
    expect(sent[0]?.authorization, 'the Authorization header of the POST').toBe('Bearer token-of-the-check')
    expect(sent[0]?.body, 'the JSON body of the POST').toEqual({ title: 'Buy milk' })
    expect(list.findAll('[data-test="task"]').map((item) => item.text()), 'the list after the POST').toEqual([
      'Buy milk',
    ])
    expect((form.get('[data-test="new-title"]').element as HTMLInputElement).value, 'the input after the POST').toBe('')
  })

  it('TaskForm sends nothing for a blank title', async () => {
    const form = mount(TaskForm, { global: { plugins: [pinia] } })
    await form.get('[data-test="new-title"]').setValue('   ')
    await form.get('form').trigger('submit')
    await flushPromises()
    expect(sent, 'the requests a blank title sent').toEqual([])
  })
})
