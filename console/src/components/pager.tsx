/** Previous/next over a list envelope's page, with where the reader is; the list API does the work. */
export function Pager(props: { page?: { limit: number; offset: number; returned: number; total: number }; onOffset: (offset: number) => void; label: string }) {
  const page = props.page;
  if (!page || page.total <= page.limit) return null;
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.returned;
  return (
    <nav class="pager" aria-label={`${props.label} pages`}>
      <button type="button" disabled={page.offset === 0} onClick={() => props.onOffset(Math.max(0, page.offset - page.limit))}>
        Previous
      </button>
      <span>
        {first}–{last} of {page.total}
      </span>
      <button type="button" disabled={last >= page.total} onClick={() => props.onOffset(page.offset + page.limit)}>
        Next
      </button>
    </nav>
  );
}
