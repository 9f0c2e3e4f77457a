import { useEffect, useState } from 'preact/hooks';

/** The route: the path under /console/ (`dashboard`, `heartbeats/<id>`), without slashes at the ends. */
export function currentRoute(): string {
  const path = location.pathname.replace(/^\/console\/?/, '').replace(/^\/+|\/+$/g, '');
  return path;
}

export function navigate(route: string): void {
  history.pushState(null, '', `/console/${route}`);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return route;
}

/**
 * Links inside the console go through history (no reload); modified clicks (new tab) and other
 * origins are left to the browser.
 */
export function followLink(event: MouseEvent): void {
  const anchor = (event.target as Element).closest('a');
  if (!anchor || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/console/') || anchor.target) return;
  event.preventDefault();
  navigate(url.pathname.slice('/console/'.length));
}
