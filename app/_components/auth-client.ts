// Browser-only (reads window.location); imported by client components.
import { createAuthClient } from "better-auth/react";

// Why a client component calling the HTTP routes, and not a server action
// calling `getAuth().api.signInEmail`: the library's rate limiter and its
// origin (CSRF) check run only in its HTTP router (app/api/auth/[...all]), so a
// server action would skip the sign-in rate limit. Going through the route
// also lets the route's own response set the session cookie, with no
// cookie-forwarding plugin. The cost: the forms need JavaScript.

type AuthClient = ReturnType<typeof createAuthClient>;
let client: AuthClient | undefined;

/**
 * The browser's better-auth client, created on first use in the browser:
 * its base URL is the page's own origin (whatever host the reader used), never
 * a configured one, so the Origin it sends always matches the host it calls.
 */
export function getAuthClient(): AuthClient {
  client ??= createAuthClient({ baseURL: window.location.origin });
  return client;
}
