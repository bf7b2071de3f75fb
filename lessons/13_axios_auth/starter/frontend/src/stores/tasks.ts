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

  // Tasks added while a load() was on its way: its answer was read before they existed, and
  // must not make them vanish from the page (a task added the moment the page opens).
  let loading = 0
  let addedMeanwhile: Task[] = []

  async function load(): Promise<void> {
    await attempt(async () => {
      loading += 1
      try {
        const listed = (await api.get<Task[]>('/tasks')).data
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
      const task = (await api.post<Task>('/tasks', { title })).data
      tasks.value.push(task)
      if (loading > 0) addedMeanwhile.push(task)
    })
  }

  return { tasks, error, open, load, add }
})
