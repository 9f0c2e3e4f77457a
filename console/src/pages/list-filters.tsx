import { columnTitle } from './plugin-cells.ts';

type Filter = { name: string; options?: string[] };

/**
 * A plugin list's filters, as its contract's query parameters allow (`GET /api/v1/console/pages`
 * says which): `q` as a search box, each parameter with values as a choice; empty means any.
 */
export function ListFilters(props: { label: string; filters: Filter[]; values: Record<string, string>; onChange: (values: Record<string, string>) => void }) {
  const set = (name: string, value: string) => props.onChange({ ...props.values, [name]: value });
  const id = (name: string) => `filter-${props.label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${name}`;
  return (
    // biome-ignore lint/a11y/useSemanticElements: a set of filters over a table, not a form that is sent.
    <div class="list-filters" role="group" aria-label={`Filter ${props.label.toLowerCase()}`}>
      {props.filters.map((filter) =>
        filter.options ? (
          <label key={filter.name} for={id(filter.name)}>
            {columnTitle(filter.name)}{' '}
            <select id={id(filter.name)} value={props.values[filter.name] ?? ''} onChange={(e) => set(filter.name, (e.target as HTMLSelectElement).value)}>
              <option value="">any</option>
              {filter.options.map((option) => (
                <option key={option} value={option}>
                  {option === 'true' ? 'yes' : option === 'false' ? 'no' : option.replaceAll('_', ' ')}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label key={filter.name} for={id(filter.name)}>
            Search{' '}
            <input
              id={id(filter.name)}
              type="search"
              maxLength={200}
              value={props.values[filter.name] ?? ''}
              onInput={(e) => set(filter.name, (e.target as HTMLInputElement).value)}
            />
          </label>
        ),
      )}
    </div>
  );
}
