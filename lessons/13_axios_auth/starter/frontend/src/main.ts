import './assets/main.css'

import { createApp } from 'vue'
import { createPinia } from 'pinia'

import App from './App.vue'
import { onSessionExpired } from './api'
import { router } from './router'

const app = createApp(App)

app.use(createPinia())
app.use(router)

// The refresh cookie is spent, revoked or expired: the store has signed out, so the
// page goes to the login view, and comes back to where it was after signing in.
onSessionExpired(() => {
  void router.push({ name: 'login', query: { redirect: router.currentRoute.value.fullPath } })
})

app.mount('#app')
