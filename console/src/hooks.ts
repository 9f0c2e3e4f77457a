import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api.ts';

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

/** Loads data for a page and again when `deps` change or `reload()` is called; keeps old data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const call = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => call === latest.current && setState({ data, loading: false }),
      (error) => call === latest.current && setState((s) => ({ data: s.data, error: describeError(error), loading: false })),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/**
 * A form that creates something. `submit` sends the form's fields and returns the notice to show;
 * then the form is cleared and `created` runs (a reload). A failure shows its error and keeps what
 * was typed.
 */
export function useCreateForm(submit: (form: FormData) => Promise<string>, created: () => void) {
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    setError(undefined);
    try {
      setNotice(await submit(new FormData(formElement)));
      formElement.reset();
      created();
    } catch (e) {
      setError(describeError(e));
    }
  };
  return { onSubmit, error, notice };
}
