// The class board's page: Vue 3's browser build (installed by npm when the board starts), no build step.
import { createApp } from '../vendor/vue.js'

createApp({
  data: () => ({ board: null, needsSignIn: false, secret: '', error: '', live: false, code: '' }),
  computed: {
    stuck() { return this.board.learners.filter((row) => row.stuck) },
  },
  async mounted() {
    const response = await fetch('api/board')
    if (response.ok) {
      this.board = await response.json()
      this.listen()
    } else if (response.headers.get('X-Board-Sign-In')) {
      window.location.assign(response.headers.get('X-Board-Sign-In'))  // a hub service: the hub signs you in
    } else {
      this.needsSignIn = true
    }
  },
  methods: {
    async signIn() {
      const response = await fetch('api/instructor/session', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ secret: this.secret }),
      })
      if (!response.ok) {
        this.error = (await response.json()).error.message
        return
      }
      this.needsSignIn = false
      this.secret = ''
      this.listen()
    },
    listen() {
      // the session cookie goes with the request: an EventSource cannot send headers
      const events = new EventSource('api/events')
      events.addEventListener('board', (event) => { this.board = JSON.parse(event.data); this.live = true })
      events.onerror = () => { this.live = false }
    },
    async newCode() {
      const response = await fetch('api/codes', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ hours: 8 }),
      })
      this.code = response.ok ? (await response.json()).code : 'could not make a code'
    },
    async remove(row) {
      if (!window.confirm(`Remove ${row.name} from the board? Their results stop arriving; they can join again with a code.`)) return
      const response = await fetch(`api/learners/${row.id}`, { method: 'DELETE' })
      // the live stream redraws the board without them; an error is shown where sign-in errors are
      if (!response.ok) this.error = (await response.json()).error.message
    },
    number(lessonId) { return lessonId.slice(0, 2) },
    cell(row, lesson) { return row.lessons[lesson.id] },
    cellClass(row, lesson) {
      const cell = this.cell(row, lesson)
      return ['cell', cell ? cell.status : 'none', { current: row.current_lesson === lesson.id }]
    },
    cellText(row, lesson) {
      const cell = this.cell(row, lesson)
      if (!cell) return ''
      return cell.status === 'done' ? '✓' : cell.status === 'failing' ? `✗${cell.runs}` : '…'
    },
    cellTitle(row, lesson) {
      const cell = this.cell(row, lesson)
      if (!cell) return `${lesson.title}: not started`
      const failing = cell.failing.length ? `; failing: ${cell.failing.join(', ')}` : ''
      return `${lesson.title}: ${cell.status}, ${cell.runs} checks, ${cell.minutes} min${failing}`
    },
    doctorClass(row) { return row.doctor ? (row.doctor.passed ? 'done' : 'failing') : 'none' },
    doctorText(row) { return row.doctor ? (row.doctor.passed ? 'ready' : `fix ${row.doctor.failing.length}`) : '–' },
    doctorTitle(row) {
      if (!row.doctor) return 'has not run shiplings doctor yet'
      return row.doctor.passed ? 'shiplings doctor: ready' : `to fix: ${row.doctor.failing.join(', ')}`
    },
  },
}).mount('#app')
