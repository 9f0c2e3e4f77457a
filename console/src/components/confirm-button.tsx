import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/**
 * A button for an action that cannot be undone (delete, rotate a secret): the first click asks, in
 * the page rather than a browser dialog, so a keyboard or screen-reader user reads the question where
 * the focus is; only the second button acts.
 */
export function ConfirmButton(props: { label: string; question: ComponentChildren; confirm: string; onConfirm: () => unknown }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of two buttons with their question, not a form field set.
    <span class="confirm" role="group" aria-label={props.label}>
      <span>{props.question}</span>{' '}
      <button
        type="button"
        class="danger"
        // biome-ignore lint/a11y/noAutofocus: the question replaces the button that had the focus; the focus stays on the question's answer.
        autoFocus
        onClick={() => {
          setAsking(false);
          void props.onConfirm();
        }}
      >
        {props.confirm}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
