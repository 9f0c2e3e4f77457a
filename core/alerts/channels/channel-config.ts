import { AppError } from '../../errors/app-error.ts';
import { maskUrl } from '../channel-formats.ts';
import type { ChannelConfig, ChannelField, ChannelType } from './channel-type.ts';

const emailPattern = /^[^\s@,<>]+@[^\s@,<>]+\.[^\s@,<>]+$/;

function problem(field: ChannelField, value: unknown): string | undefined {
  if (field.kind === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be an integer';
    if (field.minimum !== undefined && value < field.minimum) return `must be at least ${field.minimum}`;
    if (field.maximum !== undefined && value > field.maximum) return `must be at most ${field.maximum}`;
    return undefined;
  }
  if (typeof value !== 'string') return 'must be a string';
  if (value.trim() === '') return 'must not be empty';
  if (field.maxLength !== undefined && value.length > field.maxLength) return `must be at most ${field.maxLength} characters`;
  if (field.kind === 'enum' && !field.values?.includes(value)) return `must be one of ${field.values?.join(', ')}`;
  if (field.kind === 'url') {
    try {
      const url = new URL(value);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http or https';
    } catch {
      return 'must be a URL';
    }
  }
  if (field.kind === 'emails') {
    const addresses = value.split(',').map((s) => s.trim());
    if (addresses.length > 20) return 'must list at most 20 addresses';
    const bad = addresses.find((a) => !emailPattern.test(a));
    if (bad !== undefined) return `${JSON.stringify(bad)} is not an e-mail address`;
  }
  return undefined;
}

/**
 * The stored config of a channel after a create (`current` empty) or an update (`patch` merged over
 * `current`; `null` clears an optional field): unknown fields, missing required ones and bad values
 * are one 400 listing every problem at `/body/config/<field>`.
 */
export function settleConfig(type: ChannelType, current: ChannelConfig, patch: Record<string, unknown>): ChannelConfig {
  const problems: { path: string; message: string }[] = [];
  const known = new Set(type.fields.map((f) => f.name));
  for (const name of Object.keys(patch))
    if (!known.has(name)) problems.push({ path: `/body/config/${name}`, message: `is not a setting of ${type.type} channels` });
  const next: ChannelConfig = {};
  for (const field of type.fields) {
    const given = field.name in patch ? patch[field.name] : current[field.name];
    if (given === undefined || given === null) {
      if (field.required) problems.push({ path: `/body/config/${field.name}`, message: 'is required' });
      continue;
    }
    const wrong = problem(field, given);
    if (wrong) problems.push({ path: `/body/config/${field.name}`, message: wrong });
    else next[field.name] = typeof given === 'string' ? given.trim() : (given as number);
  }
  if (problems.length > 0) throw new AppError('validation_failed', `Invalid ${type.type} channel settings`, { details: problems });
  return next;
}

/** Defaults filled in, for building a message. */
export const withDefaults = (type: ChannelType, config: ChannelConfig): ChannelConfig =>
  Object.fromEntries(type.fields.map((f) => [f.name, config[f.name] ?? f.default]).filter(([, v]) => v !== undefined));

/** A secret is recognisable (URL host, last characters of a long token), never usable. */
function mask(field: ChannelField, value: string | number): string | number {
  if (!field.secret) return value;
  const text = String(value);
  if (field.kind === 'url') return maskUrl(text);
  return text.length >= 16 ? `…${text.slice(-4)}` : '…';
}

/** The config as GET shows it: secrets masked, and the names of the secret fields so a client knows not to send the mask back. */
export function configView(type: ChannelType | undefined, config: ChannelConfig): Record<string, string | number> {
  if (!type) return {};
  const view: Record<string, string | number> = {};
  for (const field of type.fields) {
    const value = config[field.name];
    if (value !== undefined) view[field.name] = mask(field, value);
  }
  return view;
}
