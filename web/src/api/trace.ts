// One W3C trace per editing session: every request the editor makes carries a `traceparent`
// in it, so the server's spans for upload, transcription, render and download join one trace.

let traceId: string | null = null

const randomHex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('')

export function startTrace(): void {
  traceId = randomHex(16)
}

export function endTrace(): void {
  traceId = null
}

export function traceparent(): string | null {
  return traceId ? `00-${traceId}-${randomHex(8)}-01` : null
}
