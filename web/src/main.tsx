// Cofee's web app: sign in, projects, and the caption editor. Solid (fine-grained updates: a
// playhead moving over thousands of words touches only the words it passes), built by Vite
// into static files the cofee binary serves.

import { render } from 'solid-js/web'
import { App } from './App'
import './app.css'

render(() => <App />, document.getElementById('app')!)
