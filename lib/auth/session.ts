import "server-only";
import { getAuth } from "./auth";

/** Who is making a request: the signed-in user, as the API's `Author` shape. */
export interface Viewer {
  id: string;
  name: string;
}

/**
 * The signed-in user of a request, or null. Reads the session cookie (from the
 * signed cookie cache when fresh, else one session query).
 */
export async function getViewer(headers: Headers): Promise<Viewer | null> {
  const session = await getAuth().api.getSession({ headers });
  return session ? { id: session.user.id, name: session.user.name } : null;
}

/**
 * The signed-in user's email, lower-case, or null: who may open the operator
 * dashboard (ADMIN_EMAILS). No lookup at all without a session cookie.
 */
export async function getSessionEmail(headers: Headers): Promise<string | null> {
  if (!headers.get("cookie")?.includes("session_token")) return null;
  const session = await getAuth().api.getSession({ headers });
  return session ? session.user.email.toLowerCase() : null;
}
