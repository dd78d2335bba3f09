import { Match, Switch, createSignal, onCleanup } from 'solid-js'
import { signedIn } from './api/session'
import { Account } from './screens/Account'
import { Editor } from './screens/Editor'
import { Projects } from './screens/Projects'
import { SignIn } from './screens/SignIn'

/** The screen the address names: `#/` projects, `#/projects/ID` the editor. */
function useRoute() {
  const [hash, setHash] = createSignal(location.hash)
  const update = () => setHash(location.hash)
  addEventListener('hashchange', update)
  onCleanup(() => removeEventListener('hashchange', update))
  return hash
}

export function App() {
  const hash = useRoute()
  const project = () => /^#\/projects\/([0-9a-f-]{36})/.exec(hash())?.[1]
  return (
    <Switch>
      <Match when={!signedIn()}>
        <SignIn />
      </Match>
      <Match when={project()} keyed>
        {(id) => <Editor id={id} />}
      </Match>
      <Match when={hash() === '#/account'}>
        <Account />
      </Match>
      <Match when={true}>
        <Projects />
      </Match>
    </Switch>
  )
}
