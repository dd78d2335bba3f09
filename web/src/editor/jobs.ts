// A project's job events (Server-Sent Events, read with fetch so the token goes in a header).

import { sessionFetch } from '../api/client'

export type JobEvent = { job_id: string; kind: string; state: string; progress: number; attempts: number; error: string | null }

export async function watchJobs(project: string, onJob: (j: JobEvent) => void, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    try {
      const res = await sessionFetch(`/api/projects/${project}/events`, { signal: stop })
      if (!res.ok || !res.body) return
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let i
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i)
          buffer = buffer.slice(i + 2)
          const event = /^event: ?(.*)$/m.exec(block)?.[1]
          const data = /^data: ?(.*)$/m.exec(block)?.[1]
          if (event === 'job' && data) onJob(JSON.parse(data))
        }
      }
    } catch {
      if (stop.aborted) return
    }
    // The stream ended (its token expired, the server restarts): open it again.
    await new Promise((r) => setTimeout(r, 1000))
  }
}

export const finished = (state: string) => ['succeeded', 'dead', 'cancelled'].includes(state)
