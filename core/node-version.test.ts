import t from 'tap';
import { unsupportedNode } from './node-version.ts';

t.test('Node versions below the engines range are refused with the reason, the rest pass', async (t) => {
  t.match(unsupportedNode('20.20.2'), /needs Node\.js 22\.17 or later; this is 20\.20\.2/);
  t.match(unsupportedNode('22.16.0'), /22\.17/);
  t.equal(unsupportedNode('22.17.0'), undefined);
  t.equal(unsupportedNode('24.21.0'), undefined);
  t.equal(unsupportedNode(process.versions.node), undefined, 'the Node.js the tests run on is supported');
});
