import { createRouter, createWebHistory } from 'vue-router'

import { useAuthStore } from '@/stores/auth'
import LoginView from '@/views/LoginView.vue'
import TasksView from '@/views/TasksView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    requiresAuth?: boolean
  }
}

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    { path: '/', name: 'tasks', component: TasksView, meta: { requiresAuth: true } },
    { path: '/login', name: 'login', component: LoginView },
  ],
})

// The first navigation after a (re)load: the token was in memory and is gone, but the
// refresh cookie may still hold a session. Ask once, silently, before deciding.
let restored = false

router.beforeEach(async (to) => {
  const auth = useAuthStore()
  if (!restored) {
    restored = true
    if (!auth.token) await auth.refresh()
  }
  if (to.meta.requiresAuth && !auth.token) {
    return { name: 'login', query: { redirect: to.fullPath } }
  }
  if (to.name === 'login' && auth.token) return { name: 'tasks' }
})
