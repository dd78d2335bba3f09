// Uploading a video into a project: straight into object storage where the server hands out
// links (S3), else through the API with tus (resumable, in 8 MiB pieces).

import * as tus from 'tus-js-client'
import { api, authHeaders, message } from './api/client'

/** A file dropped on the project list, waiting for its new project's editor to take it. */
let handedOver: { project: string; file: File } | null = null

export function handOver(project: string, file: File): void {
  handedOver = { project, file }
}

export function takeHandedOver(project: string): File | null {
  if (handedOver?.project !== project) return null
  const f = handedOver.file
  handedOver = null
  return f
}

export async function upload(project: string, file: File, onProgress: (fraction: number) => void): Promise<void> {
  const direct = await api.POST('/api/projects/{id}/media/direct', { params: { path: { id: project } }, body: { size: file.size } })
  if (direct.data) {
    await putWithProgress(direct.data.url, file, onProgress)
    const done = await api.POST('/api/projects/{id}/media/direct/{upload_id}/complete', {
      params: { path: { id: project, upload_id: direct.data.upload_id } },
      body: { file_name: file.name },
    })
    if (done.error) throw new Error(message(done.error, done.response))
    return
  }
  if (direct.response.status !== 409) throw new Error(message(direct.error, direct.response))
  await new Promise<void>((resolve, reject) => {
    const u = new tus.Upload(file, {
      endpoint: '/api/uploads',
      // Signed per request (the token may be refreshed during a long upload); XHR appends a
      // header set twice, so it is set here only.
      metadata: { project_id: project, filename: file.name },
      chunkSize: 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000],
      onBeforeRequest: async (req) => {
        for (const [k, v] of Object.entries(await authHeaders())) req.setHeader(k, v)
      },
      onProgress: (sent, total) => onProgress(sent / total),
      onError: (e) => reject(new Error(tusMessage(e))),
      onSuccess: () => resolve(),
    })
    u.start()
  })
}

function tusMessage(e: Error): string {
  const body = (e as { originalResponse?: { getBody(): string } }).originalResponse?.getBody()
  try {
    return body ? JSON.parse(body).detail ?? e.message : e.message
  } catch {
    return e.message
  }
}

/** A PUT of a whole file to a presigned storage URL, with progress (fetch cannot report it). */
function putWithProgress(url: string, f: File, onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', url)
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total)
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`the storage refused the upload (${xhr.status})`)))
    xhr.onerror = () => reject(new Error('the upload to storage failed (network, or the bucket lacks a CORS rule for this site)'))
    xhr.send(f)
  })
}
