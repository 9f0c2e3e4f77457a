import t from 'tap';
import { AppError } from '../errors/app-error.ts';
import { databaseUnavailable, isConnectionError } from './database-errors.ts';

const pgError = (code: string) => Object.assign(new Error('from the server'), { code, severity: 'FATAL' });

t.test('a server that is away is told from a statement that is wrong', async (t) => {
  for (const code of ['08006', '08001', '57P01', '57P02', '57P03', '53300']) t.ok(isConnectionError(pgError(code)), code);
  t.ok(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })));
  t.ok(isConnectionError(Object.assign(new Error('connect ENOENT /x/.s.PGSQL.5432'), { code: 'ENOENT', syscall: 'connect' })), 'a unix socket gone');
  t.notOk(isConnectionError(Object.assign(new Error('no such file'), { code: 'ENOENT', syscall: 'open' })), 'a missing file is not the database');
  t.ok(isConnectionError(new Error('Connection terminated unexpectedly')));
  t.ok(isConnectionError(new Error('timeout exceeded when trying to connect')));
  t.ok(isConnectionError(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })])), 'several addresses, all refused');
  t.ok(isConnectionError(Object.assign(new Error('wrapped'), { cause: pgError('57P01') })), 'a wrapped one');
  for (const code of ['22P02', '23505', '42P01', '40001', '57014']) t.notOk(isConnectionError(pgError(code)), `${code} is the statement's`);
});

t.test('away is a 503 unavailable with Retry-After; anything else is left alone', async (t) => {
  const mapped = databaseUnavailable(pgError('57P01'));
  t.ok(mapped instanceof AppError);
  t.equal(mapped?.status, 503);
  t.equal(mapped?.code, 'unavailable');
  t.ok(Number(mapped?.headers?.['Retry-After']) > 0);
  t.equal(databaseUnavailable(pgError('23505')), undefined);
  t.equal(databaseUnavailable(new AppError('not_found', 'x')), undefined, 'an answer already chosen stays');
});
