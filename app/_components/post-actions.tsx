"use client";

import Link from "next/link";
import { useId, useRef, useState } from "react";
import { describeError } from "@/lib/query/api";
import { useDeletePostMutation } from "@/lib/query/mutations";
import { postPath } from "@/lib/query/urls";
import { useHydrated } from "@/lib/query/use-hydrated";

/**
 * Edit and Delete, for the post's author only (the page decides). Delete asks
 * first, in a modal <dialog>: the browser traps focus in it, Escape cancels,
 * and focus returns to the Delete button when it closes.
 */
export function PostActions({ postId, title }: { postId: number; title: string }) {
  const remove = useDeletePostMutation(postId);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();
  const hydrated = useHydrated();

  function open() {
    setError(null);
    dialogRef.current?.showModal();
  }

  function confirm() {
    setError(null);
    remove.mutate(undefined, {
      onError: (e) => setError(describeError(e, "The post was not deleted")),
    });
  }

  return (
    <div className="post-actions">
      <Link href={`${postPath(postId)}/edit`} className="button-link">
        Edit
      </Link>
      <button type="button" className="button-secondary" onClick={open} disabled={!hydrated}>
        Delete
      </button>
      <dialog ref={dialogRef} className="confirm-dialog" aria-labelledby={headingId}>
        <h2 id={headingId}>Delete this post?</h2>
        <p>
          “{title}” will be deleted with its likes and comments. This cannot be undone.
        </p>
        <p className="inline-error" role="alert">
          {error}
        </p>
        <div className="form-actions">
          <button type="button" className="button-danger" onClick={confirm} disabled={remove.isPending}>
            {remove.isPending ? "Deleting…" : "Delete post"}
          </button>
          {/* autoFocus: the safe choice has focus when the dialog opens. */}
          <button type="button" className="button-secondary" autoFocus onClick={() => dialogRef.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </div>
  );
}
