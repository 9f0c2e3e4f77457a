/** The oldest Node.js itops runs on (package.json `engines`). */
export const minimumNode = [22, 17] as const;

/**
 * Why this Node.js cannot run itops, or undefined when it can. Older versions start, then fail in
 * odd places: on Node 20, worker threads do not get `--import` hooks, so in development every task
 * on the worker pool failed with "Unknown file extension .ts" while the rest of the server worked.
 */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor, needMinor] = minimumNode;
  if (major > needMajor || (major === needMajor && minor >= needMinor)) return undefined;
  return `itops needs Node.js ${needMajor}.${needMinor} or later; this is ${version} (${process.execPath}). npm start and npm test use the Node.js that npm install put in node_modules.`;
}
