"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { describeError } from "@/lib/query/api";
import { useLikeMutation } from "@/lib/query/mutations";
import { postQueryOptions } from "@/lib/query/options";
import { postPath, signInPath } from "@/lib/query/urls";
import { useHydrated } from "@/lib/query/use-hydrated";
import { plural } from "./format";

interface LikeButtonProps {
  postId: number;
  /** What the server rendered; the hydrated post query takes over from these. */
  initialLiked: boolean;
  initialCount: number;
  signedIn: boolean;
}

/**
 * A toggle button (`aria-pressed`) with the likes count in its name
 * ("Like · 12 likes"). The click shows at once; the request follows, and the
 * count is then the server's.
 *
 * Anonymous readers are sent to sign in first. For them the button submits a
 * GET form to /sign-in?next=…, so it works before hydration and without
 * JavaScript; for a signed-in reader it waits for hydration (disabled), since
 * a click before then would be lost.
 */
export function LikeButton({ postId, initialLiked, initialCount, signedIn }: LikeButtonProps) {
  const router = useRouter();
  const { data: post } = useQuery(postQueryOptions(postId));
  const like = useLikeMutation(postId);
  const hydrated = useHydrated();
  const [error, setError] = useState<string | null>(null);
  const liked = post?.likedByMe ?? initialLiked;
  const count = post?.likesCount ?? initialCount;

  function goSignIn(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    router.push(signInPath(postPath(postId)));
  }

  function toggle() {
    setError(null);
    const next = !liked;
    like.mutate(next, {
      // Only the last click's outcome reaches here (React Query calls the
      // per-call callbacks of the latest mutate only), which is the one that
      // decides what the button shows.
      onError: (e) => setError(describeError(e, next ? "Your like was not saved" : "Your unlike was not saved")),
    });
  }

  const face = (
    <>
      <span className="like-icon" aria-hidden="true">
        {liked ? "♥" : "♡"}
      </span>{" "}
      Like ·{" "}
      <span data-testid="likes-count">{plural(count, "like")}</span>
    </>
  );

  return (
    <div className="like">
      {signedIn ? (
        <button type="button" className="like-button" aria-pressed={liked} onClick={toggle} disabled={!hydrated}>
          {face}
        </button>
      ) : (
        <form action="/sign-in" method="get" onSubmit={goSignIn}>
          <input type="hidden" name="next" value={postPath(postId)} />
          <button type="submit" className="like-button" aria-pressed={false}>
            {face}
          </button>
        </form>
      )}
      <p className="inline-error" role="alert">
        {error}
      </p>
    </div>
  );
}
