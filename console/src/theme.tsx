import { useEffect, useState } from 'preact/hooks';

type Theme = 'light' | 'dark' | 'system';
const key = 'itops.theme';

/** Light, dark, or the system's choice (the default), kept per browser. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>((localStorage.getItem(key) as Theme) ?? 'system');
  useEffect(() => {
    if (theme === 'system') {
      delete document.documentElement.dataset.theme;
      localStorage.removeItem(key);
    } else {
      document.documentElement.dataset.theme = theme;
      localStorage.setItem(key, theme);
    }
  }, [theme]);
  return (
    <label class="theme">
      <span class="visually-hidden">Colour theme</span>
      <select value={theme} onChange={(e) => setTheme((e.target as HTMLSelectElement).value as Theme)}>
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}
