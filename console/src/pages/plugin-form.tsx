import { ItopsApiError } from '@itops/sdk';
import { useMemo, useState } from 'preact/hooks';
import { describeError, sendUntyped } from '../api.ts';
import { Section } from '../components/ui.tsx';
import { changedBody, detailLines, type FieldProblem, type FormField, formBody, formFields, textOf } from './schema-form.ts';

// A hint longer than this reads as documentation, not as a hint: the API reference has it whole.
const hintLength = 160;

function FieldInput(props: { field: FormField; id: string; describedBy?: string; start?: string | boolean }) {
  const { id } = props;
  // A record's value, when the form edits one, stands in for the schema's default.
  const field = props.start === undefined ? props.field : { ...props.field, initial: props.start };
  const common = { id, name: field.name, required: field.required, 'aria-describedby': props.describedBy };
  switch (field.kind) {
    case 'select':
      return (
        <select {...common} defaultValue={typeof field.initial === 'string' ? field.initial : ''}>
          {field.required ? null : <option value="">(not set)</option>}
          {field.options?.map((option) => (
            <option value={option} key={option}>
              {option.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
      );
    case 'yesno':
      return (
        <select {...common} defaultValue={typeof field.initial === 'string' ? field.initial : ''}>
          {field.required ? null : <option value="">(not set)</option>}
          <option value="yes">yes</option>
          <option value="no">no</option>
        </select>
      );
    case 'checkbox':
      return <input {...common} required={false} type="checkbox" defaultChecked={field.initial === true} />;
    case 'textarea':
    case 'json':
      return (
        <textarea
          {...common}
          rows={field.kind === 'json' ? 4 : 5}
          maxLength={field.maxLength}
          placeholder={field.placeholder}
          spellcheck={field.kind !== 'json'}
          class={field.kind === 'json' ? 'code' : undefined}
          defaultValue={typeof field.initial === 'string' ? field.initial : undefined}
        />
      );
    case 'number':
      return (
        <input
          {...common}
          type="number"
          min={field.min}
          max={field.max}
          step={field.integer ? 1 : 'any'}
          placeholder={field.placeholder}
          defaultValue={typeof field.initial === 'string' ? field.initial : undefined}
        />
      );
    case 'datetime':
    case 'date':
      return (
        <input
          {...common}
          type={field.kind === 'date' ? 'date' : 'datetime-local'}
          defaultValue={typeof field.initial === 'string' ? field.initial : undefined}
        />
      );
    default:
      return (
        <input
          {...common}
          // Preact's types pair each input type with its attributes; email and url take text's.
          type={(field.kind === 'email' || field.kind === 'url' ? field.kind : 'text') as 'text'}
          maxLength={field.maxLength}
          placeholder={field.placeholder}
          defaultValue={typeof field.initial === 'string' ? field.initial : undefined}
        />
      );
  }
}

/**
 * A form a plugin page offers, built from its operation's request schema: the console knows nothing
 * of the plugin beyond what `GET /api/v1/console/pages` says. With `values` (a record's), it starts
 * from them and a `PATCH` sends only what changed, with the record's version. The API validates the
 * body as it would any client's; its details are shown beside the fields' names.
 */
export function PluginForm(props: {
  title: string;
  submit: string;
  method: 'POST' | 'PATCH' | 'PUT';
  path: string;
  schema: Record<string, unknown>;
  values?: Record<string, unknown>;
  onDone: (answer: unknown, changed: boolean) => void;
  onCancel: () => void;
  /** A change refused because the record moved on (409): the page shows the record as it is now. */
  onConflict?: () => void;
}) {
  const fields = useMemo(() => formFields(props.schema), [props.schema]);
  const start = useMemo(
    () => (props.values ? Object.fromEntries(fields.map((f) => [f.name, textOf(f, props.values?.[f.name])])) : undefined),
    [fields, props.values],
  );
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [error, setError] = useState<{ message: string; lines: string[] }>();
  const [busy, setBusy] = useState(false);
  const prefix = `form-${props.method.toLowerCase()}-${props.path.replace(/[^a-z0-9]+/gi, '-')}`;

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const element = event.currentTarget as HTMLFormElement;
    const data = new FormData(element);
    const typed = formBody(fields, (name) => (fields.find((f) => f.name === name)?.kind === 'checkbox' ? data.has(name) : String(data.get(name) ?? '')));
    setProblems(typed.problems);
    setError(undefined);
    if (typed.problems.length > 0) return;
    let body = typed.body;
    if (start && props.method === 'PATCH') {
      body = changedBody(fields, formBody(fields, (name) => start[name]).body, typed.body);
      if (Object.keys(body).length === 0) return props.onDone(undefined, false);
    }
    setBusy(true);
    try {
      const answer = await sendUntyped(props.method, props.path, body);
      if (!start) element.reset();
      props.onDone(answer, true);
    } catch (e) {
      const lines = e instanceof ItopsApiError ? detailLines(e.details, fields) : [];
      // Someone else's change came first: their version is what an edit should start from.
      if (e instanceof ItopsApiError && e.code === 'conflict' && start) {
        lines.push('Cancel and edit again to start from the current version.');
        props.onConflict?.();
      }
      setError({ message: describeError(e), lines });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title={props.title} id={`${prefix}--heading`}>
      <form class="form-grid" onSubmit={onSubmit} noValidate={false}>
        {fields
          .filter((field) => field.hidden)
          .map((field) => (
            <input type="hidden" name={field.name} key={field.name} value={String(start?.[field.name] ?? '')} />
          ))}
        {fields.map((field) => {
          if (field.hidden) return null;
          const id = `${prefix}-${field.name}`;
          const problem = problems.find((p) => p.field === field.name);
          const hint = field.hint && field.hint.length <= hintLength ? field.hint : undefined;
          const described = [hint ? `${id}-hint` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ') || undefined;
          return (
            <div class="form-row" key={field.name}>
              <label for={id}>
                {field.label}
                {field.required ? <span class="required-mark"> (required)</span> : null}
                {field.kind === 'json' ? <span class="muted"> (JSON)</span> : null}
              </label>
              <div class="form-control">
                <FieldInput field={field} id={id} describedBy={described} start={start?.[field.name]} />
                {hint ? (
                  <p class="field-hint muted" id={`${id}-hint`}>
                    {hint}
                  </p>
                ) : null}
                {problem ? (
                  <p class="error" id={`${id}-problem`}>
                    {problem.message}
                  </p>
                ) : null}
              </div>
            </div>
          );
        })}
        {error ? (
          <div class="error" role="alert">
            <p>{error.message}</p>
            {error.lines.length > 0 ? (
              <ul class="error-details">
                {error.lines.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        <div class="form-buttons">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Sending…' : props.submit}
          </button>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </Section>
  );
}
