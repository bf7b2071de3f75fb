import { beforeEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'

import TaskList from '../TaskList.vue'
import { useTasksStore } from '@/stores/tasks'

describe('TaskList', () => {
  let pinia: Pinia

  beforeEach(() => {
    pinia = createPinia()
    setActivePinia(pinia)
  })

  it('shows one item per task in the store', () => {
    useTasksStore().tasks = [
      { id: 1, title: 'Write the proxy', done: false },
      { id: 2, title: 'Ship it', done: true },
    ]
    const wrapper = mount(TaskList, { global: { plugins: [pinia] } })
    const items = wrapper.findAll('[data-test="task"]')
    expect(items.map((item) => item.text())).toEqual(['Write the proxy', 'Ship it'])
  })

  it('says so when there is no task', () => {
    const wrapper = mount(TaskList, { global: { plugins: [pinia] } })
    expect(wrapper.findAll('[data-test="task"]')).toHaveLength(0)
    expect(wrapper.text()).toContain('No tasks yet')
  })
})
