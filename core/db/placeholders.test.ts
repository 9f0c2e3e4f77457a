import t from 'tap';
import { inlineParameters, replacePlaceholders } from './placeholders.ts';

t.test('values are written in as quoted literals; quoted text, comments and dollar bodies keep their ?', async (t) => {
  t.equal(
    inlineParameters("SELECT ?, '?', ?::jsonb /* ? */, ?, ?, ?, $$?$$", ["it's", '{"a": "b\\\\c"}', 42, null, true]),
    // pg's escapeLiteral puts a space before an E'' literal (one with a backslash).
    `SELECT 'it''s', '?',  E'{"a": "b\\\\\\\\c"}'::jsonb /* ? */, 42, NULL, true, $$?$$`,
  );
  t.equal(
    replacePlaceholders('SELECT ? -- ?\n, ?', (n) => `$${n}`),
    'SELECT $1 -- ?\n, $2',
  );
});

t.test('what cannot be written as a literal is refused, never sent', async (t) => {
  t.throws(() => inlineParameters('SELECT ?', ['a\0b']), /NUL/, 'a NUL would end the query text early');
  t.throws(() => inlineParameters('SELECT ?', [Number.NaN]), /finite/);
  t.throws(() => inlineParameters('SELECT ?, ?', ['one']), /more placeholders/);
  t.throws(() => inlineParameters('SELECT ?', ['one', 'two']), /1 placeholders for 2 values/);
});
