// A thin client for the Cofee API: bearer tokens from sign-in, problem+json errors as
// exceptions with the server's message.

export class ApiError extends Error {
  constructor(public status: number, message: string) { super(message) }
}

let token = sessionStorage.getItem('cofee.token')

export function signedIn(): boolean { return token !== null }
export function signOut(): void { token = null; sessionStorage.removeItem('cofee.token') }
export function bearer(): string { return `Bearer ${token}` }

// One W3C trace per editing session: every request the editor makes carries a `traceparent` in
// it, so the server's spans for upload, transcription, render and download join one trace.
let traceId: string | null = null
const randomHex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('')
export function startTrace(): void { traceId = randomHex(16) }
export function endTrace(): void { traceId = null }

/** Headers for an API request: the bearer token and, inside an editing session, its trace. */
export function authHeaders(): Record<string, string> {
  const headers: Record<string, string> = {}
  if (token) headers.authorization = bearer()
  if (traceId) headers.traceparent = `00-${traceId}-${randomHex(8)}-01`
  return headers
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ data: T, res: Response }> {
  const init: RequestInit = { method, headers: { ...authHeaders(), ...headers } }
  if (body !== undefined) {
    (init.headers as Record<string, string>)['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  const res = await fetch(path, init)
  const text = await res.text()
  const data = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text
  if (!res.ok) throw new ApiError(res.status, (data && (data as { detail?: string }).detail) || res.statusText)
  return { data: data as T, res }
}

export async function signIn(email: string, password: string, register: boolean): Promise<void> {
  if (register) await api('POST', '/api/auth/register', { email, password })
  const { data } = await api<{ access_token: string }>('POST', '/api/auth/login', { email, password })
  token = data.access_token
  sessionStorage.setItem('cofee.token', token)
}

export type Project = { id: string, name: string, created_at: number }
export type Job = { id: string, state: string, progress: number, error: string | null }
export type Word = { text: string, start: number, end: number, confidence?: number }
export type Captions = { language?: string, words: Word[] }
