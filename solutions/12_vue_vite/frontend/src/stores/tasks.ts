import { computed, ref } from 'vue'
import { defineStore } from 'pinia'

import { api, ApiError } from '@/api'

export interface Task {
  id: number
  title: string
  done: boolean
}

// The one place the page keeps its tasks: every component reads and changes them here.
export const useTasksStore = defineStore('tasks', () => {
  const tasks = ref<Task[]>([])
  // The access token lives in memory only, never in localStorage, where any script on the
  // page could read it; it is lost on a reload.
  const token = ref<string | null>(null)
  const error = ref<string | null>(null)
  const open = computed(() => tasks.value.filter((task) => !task.done).length)

  async function attempt(work: () => Promise<void>): Promise<void> {
    error.value = null
    try {
      await work()
    } catch (problem) {
      error.value = problem instanceof ApiError ? problem.message : String(problem)
    }
  }

  async function signIn(email: string, password: string): Promise<void> {
    await attempt(async () => {
      const form = new URLSearchParams({ username: email, password })
      const answer = await api<{ access_token: string }>('/api/auth/token', { method: 'POST', body: form })
      token.value = answer.access_token
    })
  }

  // Tasks added while a load() was on its way: its answer was read before they existed, and
  // must not make them vanish from the page (a task added the moment the page opens).
  let loading = 0
  let addedMeanwhile: Task[] = []

  async function load(): Promise<void> {
    await attempt(async () => {
      loading += 1
      try {
        const listed = await api<Task[]>('/api/tasks', {}, token.value)
        const listedIds = new Set(listed.map((task) => task.id))
        tasks.value = [...listed, ...addedMeanwhile.filter((task) => !listedIds.has(task.id))]
      } finally {
        loading -= 1
        if (loading === 0) addedMeanwhile = []
      }
    })
  }

  async function add(title: string): Promise<void> {
    await attempt(async () => {
      const task = await api<Task>(
        '/api/tasks',
        { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ title }) },
        token.value,
      )
      tasks.value.push(task)
      if (loading > 0) addedMeanwhile.push(task)
    })
  }

  return { tasks, token, error, open, signIn, load, add }
})
