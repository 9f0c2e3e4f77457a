// Configures the reference element before and after RapiDoc upgrades it. A file of its own
// because the page's CSP allows scripts from 'self' only: no inline configuration.
const reference = document.getElementById('reference');
const dark = window.matchMedia('(prefers-color-scheme: dark)');

// Both palettes keep body text and links at a contrast of at least 7:1 (WCAG AAA) against their
// background; RapiDoc's own defaults put grey text on grey navigation below 4.5:1.
const palettes = {
  light: {
    theme: 'light',
    'bg-color': '#ffffff',
    'text-color': '#1b1f24',
    'nav-bg-color': '#f6f8fa',
    'nav-text-color': '#1b1f24',
    'nav-hover-bg-color': '#dde3ea',
    'nav-hover-text-color': '#0b0e12',
    'nav-accent-color': '#0550ae',
    'primary-color': '#0550ae',
    'header-color': '#f6f8fa',
  },
  dark: {
    theme: 'dark',
    'bg-color': '#0d1117',
    'text-color': '#e6edf3',
    'nav-bg-color': '#161b22',
    'nav-text-color': '#e6edf3',
    'nav-hover-bg-color': '#2d333b',
    'nav-hover-text-color': '#ffffff',
    'nav-accent-color': '#79c0ff',
    'primary-color': '#79c0ff',
    'header-color': '#161b22',
  },
};

function applyScheme() {
  for (const [name, value] of Object.entries(dark.matches ? palettes.dark : palettes.light)) reference.setAttribute(name, value);
}

applyScheme();
// RapiDoc derives some colours (its outline buttons') when it renders the contract, not when a colour
// attribute changes: left alone, a reader who switches theme while reading gets buttons below 4.5:1.
dark.addEventListener('change', () => {
  applyScheme();
  reference.loadSpec?.(reference.getAttribute('spec-url'));
});
// Try-it calls go to the server that served this page, whatever the contract's `servers` say.
reference.setAttribute('server-url', window.location.origin);
reference.setAttribute('default-api-server', window.location.origin);

// RapiDoc leaves the try-it panel's fields (parameters, body, media-type and server selects) and
// its navigation filter without an accessible name, which a screen reader announces as "edit
// text, blank". Its options cannot name them, so each field gets an aria-label from what RapiDoc
// shows beside it: the parameter name and place, or its placeholder. Fields live in (nested)
// shadow roots, each observed once, since RapiDoc re-renders them when operations expand.
const observed = new WeakSet();
let pending = false;

function nameOf(field) {
  const parameter = field.dataset.pname;
  if (parameter) return `${parameter} (${field.dataset.ptype ?? 'parameter'})`;
  if (field.tagName === 'TEXTAREA') return field.placeholder || 'Request body';
  if (field.tagName === 'SELECT') return field.dataset.ptype ? `${field.dataset.ptype} value` : 'Choose a value';
  return field.placeholder || field.name || field.type || 'Value';
}

function labelFields(root) {
  if (!observed.has(root)) {
    observed.add(root);
    new MutationObserver(scheduleLabelling).observe(root, { childList: true, subtree: true });
  }
  for (const element of root.querySelectorAll('*')) {
    if (element.shadowRoot) labelFields(element.shadowRoot);
    if (!['INPUT', 'TEXTAREA', 'SELECT'].includes(element.tagName) || element.type === 'hidden') continue;
    if (element.getAttribute('aria-label') || element.getAttribute('aria-labelledby') || element.labels?.length) continue;
    element.setAttribute('aria-label', nameOf(element));
  }
}

function scheduleLabelling() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    if (reference.shadowRoot) labelFields(reference.shadowRoot);
  });
}

customElements.whenDefined('rapi-doc').then(scheduleLabelling);
reference.addEventListener('spec-loaded', scheduleLabelling);
