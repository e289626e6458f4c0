// URLs as they may be logged, stored or cached: without user:password and without the query
// string, which are where mirrors carry credentials (basic auth, signed-URL tokens).

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;

/** The URL without its userinfo, query string and fragment; the rest unchanged. */
export function displayUrl(url: string): string {
  return url.replace(USERINFO, '$1').replace(/[?#].*$/s, '');
}

/**
 * What of the URL must be masked in the log: the password (as written and decoded) and the
 * query string. Empty for a URL without credentials.
 */
export function urlSecrets(url: string): string[] {
  const secrets = new Set<string>();
  const userinfo = USERINFO.exec(url)?.[2] ?? '';
  const colon = userinfo.indexOf(':');
  const password = colon === -1 ? userinfo : userinfo.slice(colon + 1);
  if (password) {
    secrets.add(password);
    try {
      secrets.add(decodeURIComponent(password));
    } catch {
      // not percent-encoded
    }
  }
  const query = /\?([^#]*)/.exec(url.replace(USERINFO, '$1'))?.[1] ?? '';
  if (query) secrets.add(query);
  return [...secrets];
}

/**
 * What to request for a URL that may carry `user:password@`: the URL without it (HTTP clients
 * would log it, and @actions/http-client does not send it) and a Basic `Authorization` value.
 * The query string stays: a signed URL needs it.
 */
export function requestFor(url: string): { url: string; authorization?: string } {
  const userinfo = USERINFO.exec(url)?.[2];
  if (!userinfo) return { url };
  const colon = userinfo.indexOf(':');
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const user = decode(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? '' : decode(userinfo.slice(colon + 1));
  return {
    url: url.replace(USERINFO, '$1'),
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  };
}
