import { Writable } from 'node:stream';
import t from 'tap';
import { createLogger } from './logger.ts';

const capture = () => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
};

t.test('JSON lines when stdout is no terminal', async (t) => {
  const out = capture();
  createLogger('info', { pretty: false, destination: out.stream }).info({ setupUrl: 'http://localhost:3000/setup?token=abc' }, 'no user exists yet');
  const entry = JSON.parse(out.text().trim());
  t.match(entry, { level: 30, service: 'itops', msg: 'no user exists yet', setupUrl: 'http://localhost:3000/setup?token=abc', time: String });
});

t.test('pretty lines (pino-pretty) for a terminal, with the same redaction', async (t) => {
  const out = capture();
  const logger = createLogger('info', { pretty: true, destination: out.stream });
  logger.warn({ req: { headers: { authorization: 'Bearer secret-token' } } }, 'generated a development master key');
  const text = out.text();
  t.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: generated a development master key\n/, 'time, level and message on one readable line');
  t.notOk(text.trim().startsWith('{'), 'not JSON');
  t.notOk(text.includes('secret-token'), 'credentials stay redacted');
  t.match(text, /"authorization": "\[Redacted\]"/);
});
