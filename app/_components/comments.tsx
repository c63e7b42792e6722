"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { Author, Comment } from "@/lib/posts/types";
import { describeError } from "@/lib/query/api";
import { useCreateCommentMutation, usePendingComments, type PendingComment } from "@/lib/query/mutations";
import { olderCommentsQueryOptions, postQueryOptions } from "@/lib/query/options";
import { postPath, signInPath } from "@/lib/query/urls";
import { useHydrated } from "@/lib/query/use-hydrated";
import { formatDate, plural } from "./format";

/** docs/api.md: a comment body is 1..5,000 characters once trimmed. */
const MAX_COMMENT_LENGTH = 5_000;

interface CommentsProps {
  postId: number;
  /** What the server rendered (the newest 50); the hydrated post query takes over from these. */
  initialComments: Comment[];
  initialCount: number;
  /** The signed-in reader, or null: anonymous readers are sent to sign in when they post. */
  viewer: Author | null;
}

/**
 * The comments of a post, newest first, with the form to add one. A posted
 * comment shows on top at once, marked as pending, and is replaced by the
 * server's copy when it is saved; if it is refused, it goes away and its text
 * is back in the box with the reason.
 */
export function Comments({ postId, initialComments, initialCount, viewer }: CommentsProps) {
  const { data: post } = useQuery(postQueryOptions(postId));
  const pending = usePendingComments(postId);
  const [showOlder, setShowOlder] = useState(false);
  const older = useInfiniteQuery({ ...olderCommentsQueryOptions(postId), enabled: showOlder });

  const newest = post?.comments ?? initialComments;
  const count = (post?.commentsCount ?? initialCount) + pending.length;
  const comments = olderPagesAppended(newest, older.data?.pages.flatMap((p) => p.results) ?? []);
  const canLoadOlder = comments.length + pending.length < count && (!older.data || older.hasNextPage);

  function loadOlder() {
    if (!showOlder) setShowOlder(true);
    else void older.fetchNextPage();
  }

  return (
    <section aria-labelledby="comments-heading" className="comments">
      <h2 id="comments-heading">{plural(count, "comment")}</h2>
      <CommentForm postId={postId} viewer={viewer} />
      {comments.length === 0 && pending.length === 0 ? (
        <p>No comments yet.</p>
      ) : (
        <ol className="comment-list">
          {pending.map((p) => (
            <PendingItem key={`pending-${p.key}`} comment={p} author={viewer} />
          ))}
          {comments.map((c) => (
            <li key={c.id} className="comment">
              <p className="meta">
                <strong>{c.author.name}</strong> · <time dateTime={c.dateAdded}>{formatDate(c.dateAdded)}</time>
              </p>
              <p className="comment-body">{c.body}</p>
            </li>
          ))}
        </ol>
      )}
      {canLoadOlder ? (
        <p className="comments-more">
          <button type="button" className="button-secondary" onClick={loadOlder} disabled={older.isFetching}>
            {older.isFetching ? "Loading older comments…" : "Show older comments"}
          </button>
        </p>
      ) : null}
      {older.isError ? (
        <p className="inline-error" role="alert">
          {describeError(older.error, "Older comments could not be loaded")}
        </p>
      ) : null}
    </section>
  );
}

/**
 * The post's own newest comments, then the older pages without repeats (pages
 * are by offset, so a comment posted since shifts them: the last comment of
 * one page comes again at the top of the next).
 */
function olderPagesAppended(newest: Comment[], olderPages: Comment[]): Comment[] {
  if (olderPages.length === 0) return newest;
  const seen = new Set(newest.map((c) => c.id));
  const result = [...newest];
  for (const c of olderPages) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    result.push(c);
  }
  return result;
}

function PendingItem({ comment, author }: { comment: PendingComment; author: Author | null }) {
  return (
    <li className="comment comment-pending" aria-busy="true">
      <p className="meta">
        <strong>{author?.name ?? "You"}</strong> · <span>Posting…</span>
      </p>
      <p className="comment-body">{comment.body}</p>
    </li>
  );
}

function draftKey(postId: number): string {
  return `comment-draft:${postId}`;
}

function CommentForm({ postId, viewer }: { postId: number; viewer: Author | null }) {
  const router = useRouter();
  const create = useCreateCommentMutation(postId);
  const hydrated = useHydrated();
  const formRef = useRef<HTMLFormElement>(null);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const ids = { field: useId(), error: useId(), hint: useId() };

  // A reader who wrote a comment before signing in finds it waiting here when
  // they come back. The textarea is uncontrolled, so restoring it is a DOM
  // write, not a second render (and the server's HTML stays the empty box).
  useEffect(() => {
    if (!viewer || !textareaRef.current) return;
    const draft = sessionStorage.getItem(draftKey(postId));
    if (draft === null) return;
    sessionStorage.removeItem(draftKey(postId));
    if (!textareaRef.current.value) textareaRef.current.value = draft;
  }, [postId, viewer]);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const textarea = textareaRef.current;
    if (!textarea) return;
    const body = textarea.value;
    const trimmed = body.trim();
    setStatus("");
    if (!viewer) {
      if (trimmed) sessionStorage.setItem(draftKey(postId), body);
      router.push(signInPath(postPath(postId)));
      return;
    }
    if (!trimmed) {
      setError("Write something before posting.");
      textarea.focus();
      return;
    }
    if (trimmed.length > MAX_COMMENT_LENGTH) {
      setError(`A comment can be at most ${MAX_COMMENT_LENGTH.toLocaleString("en-US")} characters.`);
      textarea.focus();
      return;
    }
    setError(null);
    // The comment is in the list now (pending): empty the box so it is not
    // sent twice, and put the text back if the server refuses it.
    formRef.current?.reset();
    // mutateAsync, not mutate's callbacks: those only run for the latest
    // call, and every refused comment must get its text back.
    create.mutateAsync(body).then(
      () => setStatus("Comment posted."),
      (e: unknown) => {
        if (textareaRef.current && !textareaRef.current.value) textareaRef.current.value = body;
        setError(describeError(e, "Your comment was not posted"));
        textareaRef.current?.focus();
      },
    );
  }

  return (
    // Anonymous: a GET form to /sign-in?next=…, so "Post comment" leads there
    // before hydration and without JavaScript too (the textarea has no name:
    // the text never goes into a URL). Signed in: the button waits for
    // hydration, as the browser's own submit would only reload the page.
    <form
      ref={formRef}
      className="comment-form"
      onSubmit={submit}
      noValidate
      {...(viewer ? {} : { action: "/sign-in", method: "get" })}
    >
      {viewer ? null : <input type="hidden" name="next" value={postPath(postId)} />}
      <label htmlFor={ids.field}>Comment</label>
      <textarea
        ref={textareaRef}
        id={ids.field}
        rows={4}
        maxLength={MAX_COMMENT_LENGTH}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${ids.error}${viewer ? "" : ` ${ids.hint}`}`}
      />
      <div className="form-actions">
        <button type="submit" disabled={viewer !== null && !hydrated}>
          Post comment
        </button>
        {viewer ? null : (
          <span id={ids.hint} className="form-hint">
            You will be asked to sign in first.
          </span>
        )}
      </div>
      <p id={ids.error} className="inline-error" role="alert">
        {error}
      </p>
      <p className="visually-hidden" role="status">
        {status}
      </p>
    </form>
  );
}
