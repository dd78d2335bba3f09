import { For, Show, createResource, createSignal, type JSX } from 'solid-js'
import { api, message, type Schemas } from '../api/client'
import { adopt, signOut } from '../api/session'
import { Dialog } from '../components/Dialogs'

type Scope = Schemas['TokenScope']
type Event = Schemas['NewWebhook']['events'][number]

const when = (ms: number | null | undefined) => (ms ? new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : 'never')
const bytes = (n: number) => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`)

function Problem(props: { text: string }) {
  return (
    <Show when={props.text}>
      <p class="error" role="alert">
        {props.text}
      </p>
    </Show>
  )
}

function Section(props: { title: string; children: JSX.Element }) {
  return (
    <section class="card stack" aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  )
}

/** The account: usage, password, API tokens, webhooks, and deleting it all. */
export function Account() {
  const [me] = createResource(async () => (await api.GET('/api/me')).data)
  const [usage] = createResource(async () => (await api.GET('/api/me/usage')).data)
  return (
    <main class="account stack">
      <header class="row">
        <a href="#/">← Projects</a>
        <h1>Account</h1>
        <span class="muted push">{me()?.email}</span>
      </header>
      <Section title="Usage">
        <Show when={usage()}>
          {(u) => (
            <dl class="usage">
              <For each={[['Projects', u().projects, String], ['Stored', u().stored_bytes, bytes], ['Uploads in progress', u().open_uploads, String], ['Jobs queued or running', u().active_jobs, String]] as const}>
                {([label, m, show]) => (
                  <div>
                    <dt>{label}</dt>
                    <dd>
                      {show(m.used)} of {m.limit == null ? 'no limit' : show(m.limit)}
                      <Show when={m.limit}>
                        <progress aria-label={`${label} used`} max={m.limit!} value={m.used} />
                      </Show>
                    </dd>
                  </div>
                )}
              </For>
            </dl>
          )}
        </Show>
      </Section>
      <PasswordSection />
      <TokensSection />
      <WebhooksSection />
      <DeleteSection />
    </main>
  )
}

function PasswordSection() {
  const [error, setError] = createSignal('')
  const [done, setDone] = createSignal('')
  let current!: HTMLInputElement
  let next!: HTMLInputElement
  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    setError('')
    setDone('')
    const r = await api.PUT('/api/me/password', { body: { current_password: current.value, new_password: next.value } })
    if (r.error) return setError(message(r.error, r.response))
    adopt(r.data)
    current.value = next.value = ''
    setDone('Password changed. Your other sessions have been signed out.')
  }
  return (
    <Section title="Password">
      <form class="stack" onSubmit={submit}>
        <label>
          Current password
          <input ref={current} type="password" autocomplete="current-password" required />
        </label>
        <label>
          New password
          <input ref={next} type="password" autocomplete="new-password" minLength={10} required />
        </label>
        <Problem text={error()} />
        <p role="status">{done()}</p>
        <div>
          <button type="submit">Change password</button>
        </div>
      </form>
    </Section>
  )
}

function TokensSection() {
  const [error, setError] = createSignal('')
  const [secret, setSecret] = createSignal<string | null>(null)
  const [tokens, { refetch }] = createResource(async () => (await api.GET('/api/tokens')).data ?? [])
  let name!: HTMLInputElement
  let days!: HTMLInputElement
  const scopes: Record<Scope, HTMLInputElement | undefined> = { read: undefined, write: undefined, tokens: undefined }
  const create = async (e: SubmitEvent) => {
    e.preventDefault()
    setError('')
    const chosen = (Object.keys(scopes) as Scope[]).filter((s) => scopes[s]?.checked)
    const r = await api.POST('/api/tokens', {
      body: { name: name.value.trim(), scopes: chosen, ...(days.value ? { expires_in_days: Number(days.value) } : {}) },
    })
    if (r.error) return setError(message(r.error, r.response))
    name.value = ''
    setSecret(r.data.secret)
    void refetch()
  }
  const revoke = async (id: string) => {
    const r = await api.DELETE('/api/tokens/{id}', { params: { path: { id } } })
    if (r.error) setError(message(r.error, r.response))
    void refetch()
  }
  return (
    <Section title="API tokens">
      <p class="muted">For scripts: send one as <code>Authorization: Bearer …</code>. It is shown once.</p>
      <ul class="plain">
        <For each={tokens() ?? []} fallback={<li class="muted">No tokens.</li>}>
          {(t) => (
            <li class="row">
              <strong>{t.name}</strong>
              <span class="muted">
                {t.scopes.join(', ')} · used {when(t.last_used_at)} · expires {when(t.expires_at)}
              </span>
              <button type="button" class="secondary danger push" onClick={() => void revoke(t.id)} aria-label={`Revoke ${t.name}`}>
                Revoke
              </button>
            </li>
          )}
        </For>
      </ul>
      <form class="row" onSubmit={create}>
        <label>
          Token name
          <input ref={name} required maxLength={100} />
        </label>
        <fieldset class="row">
          <legend>Scopes</legend>
          <For each={['read', 'write', 'tokens'] as Scope[]}>
            {(s) => (
              <label class="check">
                <input type="checkbox" ref={(el) => (scopes[s] = el)} checked={s !== 'tokens'} />
                {s}
              </label>
            )}
          </For>
        </fieldset>
        <label>
          Expires after (days)
          <input ref={days} type="number" min="1" max="366" placeholder="never" />
        </label>
        <button type="submit">Create token</button>
      </form>
      <Problem text={error()} />
      <Show when={secret()}>
        <Dialog title="Your new API token" onClose={() => setSecret(null)}>
          <p>Copy it now: it is not shown again.</p>
          <input readOnly value={secret()!} aria-label="New API token" onFocus={(e) => e.currentTarget.select()} />
          <div class="row">
            <button type="button" onClick={() => void navigator.clipboard?.writeText(secret()!)}>
              Copy
            </button>
            <button type="button" class="secondary" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </Dialog>
      </Show>
    </Section>
  )
}

function WebhooksSection() {
  const [error, setError] = createSignal('')
  const [hooks, { refetch }] = createResource(async () => (await api.GET('/api/webhooks')).data ?? [])
  let url!: HTMLInputElement
  const events: Partial<Record<Event, HTMLInputElement>> = {}
  const add = async (e: SubmitEvent) => {
    e.preventDefault()
    setError('')
    const chosen = (Object.keys(events) as Event[]).filter((k) => events[k]?.checked)
    const r = await api.POST('/api/webhooks', { body: { url: url.value.trim(), events: chosen.length ? chosen : ['*'] } })
    if (r.error) return setError(message(r.error, r.response))
    url.value = ''
    void refetch()
  }
  const remove = async (id: string) => {
    const r = await api.DELETE('/api/webhooks/{id}', { params: { path: { id } } })
    if (r.error) setError(message(r.error, r.response))
    void refetch()
  }
  // A test delivery's outcome per webhook, as its job ends (it is tried once).
  const [tests, setTests] = createSignal<Record<string, string>>({})
  const test = async (id: string) => {
    const say = (text: string) => setTests((t) => ({ ...t, [id]: text }))
    say('Sending a test event…')
    const r = await api.POST('/api/webhooks/{id}/test', { params: { path: { id } } })
    if (r.error) return say(`The test could not be sent: ${message(r.error, r.response)}`)
    const until = Date.now() + 30_000
    while (Date.now() < until) {
      await new Promise((done) => setTimeout(done, 400))
      const j = (await api.GET('/api/jobs/{id}', { params: { path: { id: r.data.job_id } } })).data
      if (j?.state === 'succeeded') return say('Test delivered: the receiver accepted it.')
      if (j?.state === 'dead' || j?.state === 'cancelled') return say(`Test failed: ${j.error ?? j.state}`)
    }
    say('No answer yet: the test is still waiting for a worker.')
  }
  return (
    <Section title="Webhooks">
      <p class="muted">Cofee POSTs a signed JSON event to each when one of your jobs ends.</p>
      <ul class="plain">
        <For each={hooks() ?? []} fallback={<li class="muted">No webhooks.</li>}>
          {(h) => (
            <li class="row">
              <code>{h.url}</code>
              <span class="muted">{h.events.join(', ')}</span>
              <span class="push" />
              <button type="button" class="secondary" onClick={() => void test(h.id)} aria-label={`Send a test event to ${h.url}`}>
                Send test
              </button>
              <button type="button" class="secondary danger" onClick={() => void remove(h.id)} aria-label={`Remove ${h.url}`}>
                Remove
              </button>
              <Show when={tests()[h.id]}>
                {(t) => (
                  <p class="webhook-test" role="status">
                    {t()}
                  </p>
                )}
              </Show>
            </li>
          )}
        </For>
      </ul>
      <form class="row" onSubmit={add}>
        <label class="grow">
          Webhook URL
          <input ref={url} type="url" required placeholder="https://example.com/cofee" />
        </label>
        <fieldset class="row">
          <legend>Events</legend>
          <For each={['job.succeeded', 'job.dead', 'job.cancelled'] as Event[]}>
            {(ev) => (
              <label class="check">
                <input type="checkbox" ref={(el) => (events[ev] = el)} checked />
                {ev}
              </label>
            )}
          </For>
        </fieldset>
        <button type="submit">Add webhook</button>
      </form>
      <Problem text={error()} />
    </Section>
  )
}

function DeleteSection() {
  const [error, setError] = createSignal('')
  const [confirming, setConfirming] = createSignal(false)
  let password!: HTMLInputElement
  const remove = async () => {
    setError('')
    const r = await api.DELETE('/api/me', { body: { current_password: password.value } })
    if (r.error) {
      setConfirming(false)
      return setError(message(r.error, r.response))
    }
    await signOut()
    location.hash = '#/'
  }
  return (
    <Section title="Delete the account">
      <p>Deletes every project with its videos, captions and renders, your tokens and webhooks. This cannot be undone.</p>
      <label>
        Password
        <input ref={password} type="password" autocomplete="current-password" />
      </label>
      <div>
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Delete my account
        </button>
      </div>
      <Problem text={error()} />
      <Show when={confirming()}>
        <Dialog title="Delete the account and everything in it?" onClose={() => setConfirming(false)}>
          <div class="row">
            <button type="button" class="danger" onClick={() => void remove()}>
              Delete everything
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </Dialog>
      </Show>
    </Section>
  )
}
