import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function PageHeader(props: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1 id="page-title" tabIndex={-1}>
        {props.title}
      </h1>
      <div class="page-actions">{props.children}</div>
    </header>
  );
}

export function ErrorNote(props: { error?: string }) {
  return props.error ? (
    <p class="error" role="alert">
      {props.error}
    </p>
  ) : null;
}

/** A state as a coloured badge: styles.css colours it by its value; people read it without underscores ("major outage"). */
export function StatusBadge(props: { status: string | null | undefined }) {
  const status = props.status ?? 'unknown';
  return <span class={`badge badge-${status}`}>{status.replaceAll('_', ' ')}</span>;
}

export function Time(props: { at: string | null | undefined }) {
  if (!props.at) return <span class="muted">never</span>;
  const date = new Date(props.at);
  return (
    <time dateTime={props.at} title={date.toISOString()}>
      {date.toLocaleString()}
    </time>
  );
}

export function Section(props: { title: string; children: ComponentChildren; id?: string }) {
  const id = props.id ?? `section-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function CopyField(props: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const id = `copy-${props.label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <div class="copy-field">
      <label for={id}>{props.label}</label>
      <div class="copy-row">
        <input id={id} readOnly value={props.value} onFocus={(e) => (e.target as HTMLInputElement).select()} />
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard?.writeText(props.value).catch(() => undefined);
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}

export interface Column<T> {
  title: string;
  cell: (row: T) => ComponentChildren;
  /** A column the list sorts by: its heading is a button, and says how the rows are sorted now. */
  sort?: { order: 'ascending' | 'descending' | 'none'; onSort: () => void };
}

export function Table<T>(props: { caption: string; rows: T[] | undefined; columns: Column<T>[]; empty?: string }) {
  if (!props.rows) return <p class="muted">Loading…</p>;
  if (props.rows.length === 0) return <p class="muted">{props.empty ?? 'Nothing yet.'}</p>;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: focusable so a keyboard user can scroll a table wider than the screen (axe scrollable-region-focusable).
    <section class="table-wrap" tabIndex={0} aria-label={props.caption}>
      <table>
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c.title} aria-sort={c.sort && c.sort.order !== 'none' ? c.sort.order : undefined}>
                {c.sort ? (
                  <button type="button" class="sort" onClick={c.sort.onSort}>
                    {c.title}
                    <span aria-hidden="true">{c.sort.order === 'ascending' ? ' ▲' : c.sort.order === 'descending' ? ' ▼' : ''}</span>
                  </button>
                ) : (
                  c.title
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row, i) => (
            <tr key={i}>
              {props.columns.map((c) => (
                <td key={c.title} data-label={c.title}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
