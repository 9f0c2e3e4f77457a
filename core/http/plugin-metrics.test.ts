import t from 'tap';
import { maxSeriesPerWorkspace, PluginMetrics } from './plugin-metrics.ts';

t.test('plugin gauges: the workspace label added, values escaped, bounded, a bad collector left out', async (t) => {
  const metrics = new PluginMetrics();
  const remove = metrics.add('demo', async (workspace) => [
    { name: 'itops_demo_up', help: 'Up\nor not', samples: [{ labels: { name: 'a "quoted"\\name' }, value: workspace === 'acme' ? 1 : 0 }] },
  ]);
  metrics.add('other', async () => {
    throw new Error('database gone');
  });
  const failures: string[] = [];
  const text = await metrics.render('acme', (owner) => failures.push(owner));
  t.equal(text, '# HELP itops_demo_up Up\\nor not\n# TYPE itops_demo_up gauge\nitops_demo_up{name="a \\"quoted\\"\\\\name",workspace="acme"} 1\n');
  t.same(failures, ['other'], 'a failing collector costs its own gauges, not the scrape');

  remove();
  t.equal(await metrics.render('acme'), '', 'removed with its plugin');

  metrics.add('demo', async () => [
    { name: 'itops_demo_many', help: 'Many', samples: Array.from({ length: maxSeriesPerWorkspace + 10 }, (_, i) => ({ labels: { i: String(i) }, value: i })) },
  ]);
  const bounded = await metrics.render('acme');
  t.equal(bounded.split('\n').filter((line) => line.startsWith('itops_demo_many{')).length, maxSeriesPerWorkspace);
});

t.test("a plugin's gauge outside its prefix or named _total is refused", async (t) => {
  for (const name of ['itops_other_up', 'itops_demo_pings_total', 'itops_demo_bad-name']) {
    const metrics = new PluginMetrics();
    metrics.add('demo', async () => [{ name, help: 'x', samples: [] }]);
    const failures: unknown[] = [];
    t.equal(await metrics.render('acme', (_owner, error) => failures.push(error)), '');
    t.match(String(failures[0]), /names start with itops_demo_/, name);
  }
});
