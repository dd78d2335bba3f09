// How times and sizes read on every screen.

/** A moment (milliseconds since the epoch, as the API gives them) in the reader's locale. */
export const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A file's size: KiB under a MiB, MiB with one decimal above. */
export const size = (bytes: number) => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.max(1, Math.round(bytes / 1024))} KiB`)
