import { createRouter, createWebHistory } from 'vue-router'

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
    // TODO(13): the task list needs a session: meta: { requiresAuth: true }
    { path: '/', name: 'tasks', component: TasksView },
    { path: '/login', name: 'login', component: LoginView },
  ],
})

// TODO(13): router.beforeEach(async (to) => ...), the guard:
// - on the first navigation after a (re)load only, when the auth store has no token, one
//   silent `await auth.refresh()`: the refresh cookie may still hold a session;
// - a route with meta.requiresAuth and no token in the store goes to
//   { name: 'login', query: { redirect: to.fullPath } }.
