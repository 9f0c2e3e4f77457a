import { readFileSync } from 'node:fs';

/** The platform version plugins' host ranges are checked against: package.json's. */
export const hostVersion: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
