import './assets/main.css'

import { createApp } from 'vue'

import App from './App.vue'

const app = createApp(App)

// TODO(12): keep the page's state in Pinia: `npm install pinia` (in frontend/), then
// `app.use(createPinia())` here, before mount(), so every component can use the store.

app.mount('#app')
