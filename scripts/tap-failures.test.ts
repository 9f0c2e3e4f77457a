import t from 'tap';
import { FailureCollector } from './tap-failures.ts';

t.test('each failure is kept with its diagnostics, whatever the chunking', async (t) => {
  const output = [
    '# Subtest: a.test.ts',
    '    ok 1 - fine',
    '    not ok 2 - the count is right',
    '      ---',
    '      found: 1',
    '      wanted: 2',
    '      ...',
    '    ',
    '    ok 3 - after',
    'not ok 1 - a.test.ts # time=1ms',
    'ok 2 - b.test.ts',
    '',
  ].join('\n');
  for (const size of [1, 7, output.length]) {
    const collector = new FailureCollector();
    for (let i = 0; i < output.length; i += size) collector.add(output.slice(i, i + size));
    t.same(
      collector.blocks,
      [['    not ok 2 - the count is right', '      ---', '      found: 1', '      wanted: 2', '      ...'].join('\n'), 'not ok 1 - a.test.ts # time=1ms'],
      `chunks of ${size}`,
    );
  }
});
