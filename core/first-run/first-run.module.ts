import { randomUUID } from 'node:crypto';
import { hashPassword } from '../auth/passwords.ts';
import { coreFragments } from '../contract/core-fragments.ts';
import type { PlatformDatabase } from '../db/sql-handles.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
import { renderSetupDone, renderSetupForm, renderSetupNotice, type SetupProblems, setupPageHeaders } from './setup-page.ts';
import type { SetupTokens } from './setup-tokens.ts';

interface SetupForm {
  token?: string;
  email?: string;
  password?: string;
  passwordConfirmation?: string;
  workspaceId?: string;
  workspaceName?: string;
}

const html = (status: number, body: string) => ({ status, headers: setupPageHeaders, body });
const usedOrUnknown = () =>
  html(404, renderSetupNotice('This setup link does not work', 'It was already used, or it is not a link this server printed. Each link works once.'));
const alreadySetUp = () => html(409, renderSetupNotice('itops is already set up', 'Someone can sign in already: the first-run page is closed.'));

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const workspacePattern = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Every problem of the form at once, each for its field. */
export function formProblems(form: SetupForm): SetupProblems {
  const problems: SetupProblems = {};
  const email = form.email?.trim() ?? '';
  if (!emailPattern.test(email) || email.length > 254) problems.email = 'Enter an email address, like ada@example.com.';
  const password = form.password ?? '';
  if (password.length < 12) problems.password = 'Use at least 12 characters.';
  else if (password !== form.passwordConfirmation) problems.passwordConfirmation = 'The two passwords differ.';
  if (!workspacePattern.test(form.workspaceId?.trim() ?? ''))
    problems.workspaceId = 'Use 2 to 63 lower-case letters, digits or dashes, starting with a letter or digit.';
  const name = form.workspaceName?.trim() ?? '';
  if (name.length < 1 || name.length > 200) problems.workspaceName = 'Enter a name for the workspace.';
  return problems;
}

/**
 * The first-run page and its form. Creating the admin, the workspace and the membership, and using
 * the token up, is one transaction under an advisory lock: two submissions at once make one admin.
 */
export function firstRunModule(deps: { platform: PlatformDatabase; tokens: SetupTokens; defaultPlan: () => Promise<string> }): CoreModule {
  const { platform, tokens } = deps;
  const hasUsers = async () => (await platform.query('SELECT 1 FROM app_user LIMIT 1')).length > 0;
  // A token is used up in the transaction that creates the first admin: one found used after the
  // check for users may have been used by a setup that committed in between, which is "set up".
  const tokenRefused = async () => ((await hasUsers()) ? alreadySetUp() : usedOrUnknown());
  return {
    id: 'first-run',
    openapi: coreFragments.firstRun,
    handlers: {
      async getSetupPage(req: OperationRequest<unknown, Record<string, string>, { token?: string }>) {
        if (await hasUsers()) return alreadySetUp();
        const token = req.query.token ?? '';
        if (!token || !(await tokens.isValid(token))) return tokenRefused();
        return html(200, renderSetupForm(token));
      },

      async completeSetup(req: OperationRequest<SetupForm>) {
        const form = req.body ?? {};
        const token = form.token ?? '';
        if (await hasUsers()) return alreadySetUp();
        if (!token || !(await tokens.isValid(token))) return tokenRefused();
        const values = { email: form.email, workspaceId: form.workspaceId, workspaceName: form.workspaceName };
        const problems = formProblems(form);
        if (Object.keys(problems).length > 0) return html(400, renderSetupForm(token, values, problems));
        const email = (form.email as string).trim();
        const workspaceId = (form.workspaceId as string).trim();
        const passwordHash = await hashPassword(form.password as string);
        const plan = await deps.defaultPlan();
        const outcome = await platform.transaction(async (tx) => {
          await tx.query("SELECT pg_advisory_xact_lock(hashtext('itops_first_run'))");
          if ((await tx.query('SELECT 1 FROM app_user LIMIT 1')).length > 0) return 'set up' as const;
          if (!(await tokens.consume(tx, token))) return 'used' as const;
          const userId = randomUUID();
          await tx.query('INSERT INTO app_user (id, email, password_hash, platform_admin) VALUES (?, ?, ?, true)', [userId, email, passwordHash]);
          await tx.query('INSERT INTO tenant (tenant_id, name, plan, contact_email) VALUES (?, ?, ?, ?)', [
            workspaceId,
            (form.workspaceName as string).trim(),
            plan,
            email,
          ]);
          await tx.query("INSERT INTO membership (user_id, tenant_id, role) VALUES (?, ?, 'msp_admin')", [userId, workspaceId]);
          return 'done' as const;
        });
        if (outcome === 'set up') return alreadySetUp();
        if (outcome === 'used') return usedOrUnknown();
        return html(200, renderSetupDone(email, workspaceId));
      },
    },
  };
}
