"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { getAuthClient } from "./auth-client";

/** Ends the session, then shows the home page as an anonymous reader. */
export function SignOutButton() {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [failed, setFailed] = useState(false);

  async function signOut() {
    setPending(true);
    setFailed(false);
    try {
      const { error } = await getAuthClient().signOut();
      if (error) throw new Error(error.message ?? `sign-out failed (${error.status})`);
    } catch {
      setFailed(true);
      setPending(false);
      return;
    }
    router.push("/");
    // The nav lives in the root layout, which a navigation does not re-render.
    router.refresh();
  }

  return (
    <>
      <button type="button" className="nav-button" onClick={signOut} disabled={pending}>
        {pending ? "Signing out…" : "Sign out"}
      </button>
      {failed && (
        <span role="alert" className="nav-error">
          Could not sign out, try again.
        </span>
      )}
    </>
  );
}
