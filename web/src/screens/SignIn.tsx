import { Show, createSignal } from 'solid-js'
import { signIn, signUp } from '../api/session'

/** Sign in or create an account. Unsaved edits of an ended session are saved after. */
export function SignIn() {
  const [error, setError] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  let email!: HTMLInputElement
  let password!: HTMLInputElement
  const go = (create: boolean) => async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      await (create ? signUp : signIn)(email.value.trim(), password.value)
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="sign-in">
      <h1>Cofee</h1>
      <p class="muted">Captions for talking-head and short-form video.</p>
      <form class="card stack" onSubmit={go(false)}>
        <label>
          Email
          <input ref={email} type="email" name="email" autocomplete="username" required />
        </label>
        <label>
          Password
          <input ref={password} type="password" name="password" autocomplete="current-password" minLength={10} required />
        </label>
        <Show when={error()}>
          <p class="error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="row">
          <button type="submit" disabled={busy()}>
            Sign in
          </button>
          <button type="button" class="secondary" disabled={busy()} onClick={go(true)}>
            Create account
          </button>
        </div>
      </form>
    </main>
  )
}
