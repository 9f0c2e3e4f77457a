import { render } from 'preact';
import { App } from './app.tsx';
import { followLink } from './router.ts';
import './styles.css';

// `/` is the console's front door; its routes live under /console/.
if (!location.pathname.startsWith('/console/')) history.replaceState(null, '', '/console/dashboard');
// Enter on a focused link fires click too, so this one listener serves keyboard and mouse alike.
document.addEventListener('click', followLink);
render(<App />, document.getElementById('app') as HTMLElement);
