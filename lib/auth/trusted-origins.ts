const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/**
 * The origins whose browser POSTs better-auth accepts, derived from the app's
 * own URL (BETTER_AUTH_URL): that origin only — plus, when it is a loopback
 * address, its loopback twins on the same scheme and port, so a developer who
 * opens http://127.0.0.1:3000 while the app calls itself localhost:3000 can
 * still sign in. A public host never gains a second origin.
 */
export function trustedOriginsFor(authUrl: string): string[] {
  const url = new URL(authUrl);
  if (!LOOPBACK_HOSTS.includes(url.hostname)) return [url.origin];
  const port = url.port ? `:${url.port}` : "";
  return LOOPBACK_HOSTS.map((host) => `${url.protocol}//${host}${port}`);
}
