import { useRef, useState } from 'preact/hooks';
import { describeError, getUntyped, sendUntyped } from '../api.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { ErrorNote, PageHeader, Section } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { navigate } from '../router.ts';
import { type ConsolePage, can, useSession } from '../session.ts';
import { Cell } from './cell-view.tsx';
import { columnTitle } from './plugin-cells.ts';
import { PluginForm } from './plugin-form.tsx';
import { listHeading, type Row } from './plugin-list.ts';
import { RecordList } from './record-list.tsx';
import { recordName } from './schema-form.ts';

type Action = NonNullable<NonNullable<ConsolePage['record']>['actions']>[number];

/** A value on the record's page: nested objects in full, as JSON; the rest as in the table. */
function Value(props: { field: string; value: unknown }) {
  const { value } = props;
  const nested = value !== null && typeof value === 'object' && !(Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object'));
  if (nested && (!Array.isArray(value) || value.length > 0)) return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return <span class="muted">none</span>;
  return <Cell field={props.field} value={value} />;
}

/**
 * One row of a plugin page (`GET <list>/{param}`): its fields, an edit form and a delete button when
 * the plugin's contract has them, the actions and lists the page declares for a row; each only for
 * users who hold its permission.
 */
export function PluginRecordPage(props: { page: ConsolePage; id: string }) {
  const { session } = useSession();
  const { page, id } = props;
  const record = page.record as NonNullable<ConsolePage['record']>;
  const below = (template: string) => template.replace(`{${record.param}}`, encodeURIComponent(id));
  const path = below(record.path);
  const live = useLiveTick(['']);
  // Once its delete is sent the page stops reloading on events: a reload answered after the delete
  // would ask for a record gone on purpose (a 404 in the browser's console).
  const deleting = useRef(false);
  const held = useRef(live);
  if (!deleting.current) held.current = live;
  const tick = held.current;
  const loaded = useLoad(() => getUntyped(path) as Promise<Row>, [path, session.workspace, tick]);
  // The record as it was when editing began: its version goes with the change, so a change made meanwhile is refused, not overwritten.
  const [editing, setEditing] = useState<Row>();
  // The action whose form is open.
  const [acting, setActing] = useState<Action>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const row = loaded.data;
  const name = (row && recordName(row)) ?? id;
  const update = record.update && can(session, record.update.permission) ? record.update : undefined;
  const remove = record.remove && can(session, record.remove.permission) ? record.remove : undefined;
  const actions = (record.actions ?? []).filter((a) => can(session, a.permission));
  const lists = (record.lists ?? []).filter((l) => can(session, l.permission));

  const acted = (action: Action) => {
    setNotice(`${action.label}: done.`);
    setActing(undefined);
    loaded.reload();
  };
  // An action without a body is one request; with one, its form opens.
  const act = async (action: Action) => {
    setNotice(undefined);
    setError(undefined);
    if (action.schema) return setActing(action);
    setBusy(true);
    try {
      await sendUntyped('POST', below(action.path));
      acted(action);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const onDelete = async () => {
    setError(undefined);
    deleting.current = true;
    try {
      await sendUntyped('DELETE', path);
      navigate(page.path);
    } catch (e) {
      deleting.current = false;
      setError(describeError(e));
    }
  };

  return (
    <>
      <PageHeader title={name}>
        {update && row && !editing && !acting ? (
          <button
            type="button"
            class="primary"
            onClick={() => {
              setNotice(undefined);
              setEditing(row);
            }}
          >
            Edit
          </button>
        ) : null}
        {row && !editing && !acting
          ? actions.map((action) => (
              <button type="button" key={action.operationId} disabled={busy} onClick={() => act(action)}>
                {action.label}
              </button>
            ))
          : null}
        {remove && row ? <ConfirmButton label="Delete" question={`Delete “${name}”?`} confirm="Yes, delete" onConfirm={onDelete} /> : null}
      </PageHeader>
      <p>
        <a href={`/console/${page.path}`}>{listHeading(page.title)}</a>
      </p>
      <p role="status" class="notice">
        {notice ?? ''}
      </p>
      <ErrorNote error={error ?? loaded.error} />
      {update && editing ? (
        <PluginForm
          title={`Edit “${recordName(editing) ?? id}”`}
          submit="Save"
          method={update.method}
          path={path}
          schema={update.schema}
          values={editing}
          onDone={(_, changed) => {
            setNotice(changed ? 'Saved.' : 'Nothing changed.');
            setEditing(undefined);
            loaded.reload();
          }}
          onCancel={() => setEditing(undefined)}
          onConflict={loaded.reload}
        />
      ) : null}
      {acting?.schema ? (
        <PluginForm
          title={acting.label}
          submit={acting.label}
          method="POST"
          path={below(acting.path)}
          schema={acting.schema}
          onDone={() => acted(acting)}
          onCancel={() => setActing(undefined)}
        />
      ) : null}
      {row ? (
        <Section title="Fields">
          <dl class="record-fields">
            {Object.entries(row).map(([field, value]) => (
              <div key={field}>
                <dt>{columnTitle(field)}</dt>
                <dd>
                  <Value field={field} value={value} />
                </dd>
              </div>
            ))}
          </dl>
        </Section>
      ) : null}
      {row
        ? lists.map((list) => <RecordList key={list.operationId} title={list.title} path={below(list.path)} columns={list.columns} reloadKey={loaded.data} />)
        : null}
    </>
  );
}
