import { describe, it } from 'vitest'

// TODO(12): test TaskList with @vue/test-utils: give the store two tasks, mount(TaskList)
// with a fresh Pinia (global: { plugins: [pinia] }), and expect one [data-test="task"]
// per task, with its title; then mount it with no task and expect the "No tasks yet" text.
describe('TaskList', () => {
  it.todo('shows one item per task in the store')
})
