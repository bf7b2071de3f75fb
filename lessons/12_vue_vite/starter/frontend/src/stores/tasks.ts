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

  // TODO(12): load(): GET the signed-in user's tasks through api() (the token goes along)
  // and keep the answer in `tasks`; run it inside attempt(), as signIn() does, so a
  // failure shows in `error`. The page calls its own origin: the path starts with /api.
  async function load(): Promise<void> {}

  // TODO(12): add(title): POST {"title": title} as JSON to the same path, with the token,
  // and append the task the API answers (it has its id) to `tasks`.
  async function add(title: string): Promise<void> {
    void title
  }

  return { tasks, token, error, open, signIn, load, add }
})
