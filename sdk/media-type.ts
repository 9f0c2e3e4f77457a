/** `application/json` and its `+json` relatives (`application/problem+json`, ...), with or without parameters. */
export function isJsonMedia(media: string): boolean {
  return /^application\/([^;/]+\+)?json\s*(;|$)/i.test(media.trim());
}
