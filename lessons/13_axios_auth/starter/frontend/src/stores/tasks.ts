import { computed, ref } from 'vue'
import { defineStore } from 'pinia'

import { api, errorMessage } from '@/api'

export interface Task {
  id: number
  title: string
  done: boolean
}

// The one place the page keeps its tasks: every component reads and changes them here.
// The calls go through the Axios instance (src/api.ts), which adds the token and renews it.
export const useTasksStore = defineStore('tasks', () => {
  const tasks = ref<Task[]>([])
  const error = ref<string | null>(null)
  const open = computed(() => tasks.value.filter((task) => !task.done).length)

  async function attempt(work: () => Promise<void>): Promise<void> {
    error.value = null
    try {
      await work()
    } catch (problem) {
      error.value = errorMessage(problem)
    }
  }

  async function load(): Promise<void> {
    await attempt(async () => {
      tasks.value = (await api.get<Task[]>('/tasks')).data
    })
  }

  async function add(title: string): Promise<void> {
    await attempt(async () => {
      const task = (await api.post<Task>('/tasks', { title })).data
      tasks.value.push(task)
    })
  }

  return { tasks, error, open, load, add }
})
