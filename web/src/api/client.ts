// The API client: types generated from the server's OpenAPI document (src/api/schema.gen.ts,
// made from web/openapi.json at build time), requests signed with the session's access token
// and, in an editing session, its trace. A 401 refreshes the token once and retries.

import createClient from 'openapi-fetch'
import type { components, paths } from './schema.gen'
import { ensureAccess, refresh } from './session'
import { traceparent } from './trace'

export type Schemas = components['schemas']

/** Headers every API request carries. */
export async function authHeaders(): Promise<Record<string, string>> {
  const headers: Record<string, string> = {}
  const token = await ensureAccess()
  if (token) headers.authorization = `Bearer ${token}`
  const tp = traceparent()
  if (tp) headers.traceparent = tp
  return headers
}

/** `fetch` with the session: signed, and retried once with a fresh token after a 401. */
export async function sessionFetch(input: Request | string, init?: RequestInit): Promise<Response> {
  const request = typeof input === 'string' ? new Request(input, init) : input
  const send = async (r: Request) => {
    const signed = new Request(r)
    for (const [k, v] of Object.entries(await authHeaders())) signed.headers.set(k, v)
    return fetch(signed)
  }
  const retry = request.clone()
  const res = await send(request)
  if (res.status !== 401 || !(await refresh())) return res
  return send(retry)
}

export const api = createClient<paths>({ baseUrl: location.origin, fetch: sessionFetch })

/** The message of a problem document, or the status. */
export function message(error: unknown, res?: Response): string {
  const p = error as { detail?: string; title?: string } | undefined
  return p?.detail ?? p?.title ?? (res ? `${res.status} ${res.statusText}` : String(error))
}
