// The signed-in session: a short-lived access token (kept in this tab) and a rotating refresh
// token (kept across reloads). The access token is refreshed shortly before it expires, and
// once more when a request still meets a 401; when the refresh token is gone or refused, the
// session ends and the app asks the person to sign in again — their unsaved edits stay in local
// storage (see editor/autosave.ts) and are saved once they are back.

import { createSignal } from 'solid-js'

const ACCESS = 'cofee.access'
const REFRESH = 'cofee.refresh'
const EXPIRES = 'cofee.expires'

type Tokens = { access_token: string; refresh_token: string; expires_in: number }

const [signedIn, setSignedIn] = createSignal(localStorage.getItem(REFRESH) !== null)
/** Whether someone is signed in (reactive). */
export { signedIn }

let refreshing: Promise<boolean> | null = null
let timer: ReturnType<typeof setTimeout> | undefined

/** Takes up tokens the server issued outside sign-in (a password change starts a new session). */
export function adopt(t: Tokens): void {
  store(t)
}

function store(t: Tokens): void {
  sessionStorage.setItem(ACCESS, t.access_token)
  sessionStorage.setItem(EXPIRES, String(Date.now() + t.expires_in * 1000))
  localStorage.setItem(REFRESH, t.refresh_token)
  setSignedIn(true)
  schedule(t.expires_in * 1000)
}

/** Refreshes at four fifths of the token's life (at least a second from now). */
function schedule(lifeMs: number): void {
  clearTimeout(timer)
  timer = setTimeout(() => void refresh(), Math.max(1000, lifeMs * 0.8))
}

function forget(): void {
  clearTimeout(timer)
  sessionStorage.removeItem(ACCESS)
  sessionStorage.removeItem(EXPIRES)
  localStorage.removeItem(REFRESH)
  setSignedIn(false)
}

/** The access token, if one is held that has not expired. */
export function accessToken(): string | null {
  const expires = Number(sessionStorage.getItem(EXPIRES) ?? 0)
  return expires > Date.now() + 2000 ? sessionStorage.getItem(ACCESS) : null
}

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

/**
 * Exchanges the refresh token for new tokens; false when the session is over. One exchange at a
 * time across every tab (a Web Lock): the token rotates, and two tabs presenting the same one
 * would look like reuse and end the session. Inside the lock the token is read again, so a tab
 * that waited uses the one the other tab just received.
 */
export function refresh(): Promise<boolean> {
  const exchange = async (retried = false): Promise<boolean> => {
    const token = localStorage.getItem(REFRESH)
    if (!token) return false
    try {
      const res = await post('/api/auth/refresh', { refresh_token: token })
      if (res.status === 401) {
        // Another tab (outside the lock: an older page) may have rotated it meanwhile: then the
        // new one is tried once; otherwise the session is over.
        if (localStorage.getItem(REFRESH) !== token && !retried) return exchange(true)
        if (localStorage.getItem(REFRESH) === token) forget()
        return false
      }
      if (!res.ok) return false
      store(await res.json())
      return true
    } catch {
      return false // offline: keep the session, try again later
    }
  }
  refreshing ??= (async () => {
    try {
      return navigator.locks ? await navigator.locks.request('cofee.refresh', () => exchange()) : await exchange()
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

/** An access token: the one held, or a fresh one. */
export async function ensureAccess(): Promise<string | null> {
  return accessToken() ?? ((await refresh()) ? accessToken() : null)
}

export class SignInError extends Error {}

async function problem(res: Response): Promise<string> {
  try {
    const p = await res.json()
    return p.detail ?? res.statusText
  } catch {
    return res.statusText
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  const res = await post('/api/auth/login', { email, password })
  if (!res.ok) throw new SignInError(await problem(res))
  store(await res.json())
}

export async function signUp(email: string, password: string): Promise<void> {
  const res = await post('/api/auth/register', { email, password })
  if (!res.ok) throw new SignInError(await problem(res))
  await signIn(email, password)
}

/** Ends the session on the server (its refresh-token family is revoked) and here. */
export async function signOut(): Promise<void> {
  const token = localStorage.getItem(REFRESH)
  forget()
  if (token) await post('/api/auth/logout', { refresh_token: token }).catch(() => undefined)
}

// A reload keeps the tab's access token: schedule its refresh.
const left = Number(sessionStorage.getItem(EXPIRES) ?? 0) - Date.now()
if (signedIn() && left > 0) schedule(left)
