import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SessionTokens } from '../transport.ts';

/** What `itops login` keeps between runs: where the server is, the workspace and the credentials. */
export interface CliConfig {
  url?: string;
  workspace?: string;
  apiKey?: string;
  session?: SessionTokens;
}

/** `ITOPS_CONFIG`, else `$XDG_CONFIG_HOME/itops/config.json` (`~/.config/itops/config.json`). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ITOPS_CONFIG) return env.ITOPS_CONFIG;
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'itops', 'config.json');
}

export function readConfig(file: string): CliConfig {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as CliConfig;
}

/** Written owner-only: it holds a refresh token or an API key. */
export function writeConfig(file: string, config: CliConfig): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
