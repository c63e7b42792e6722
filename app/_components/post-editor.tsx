"use client";

import Link from "next/link";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { ApiError, describeError } from "@/lib/query/api";
import { useCreatePostMutation, useUpdatePostMutation, type PostInput } from "@/lib/query/mutations";
import { postPath } from "@/lib/query/urls";
import { useHydrated } from "@/lib/query/use-hydrated";

/** docs/api.md: title 1..200 characters, content 1..100,000, both trimmed. */
const MAX_TITLE = 200;
const MAX_CONTENT = 100_000;
/** How long typing must pause before the preview is rendered again. */
const PREVIEW_DELAY_MS = 250;

type Field = keyof PostInput;
type FieldErrors = Partial<Record<Field | "form", string>>;

type PostEditorProps =
  | { mode: "create" }
  | {
      mode: "edit";
      postId: number;
      initialTitle: string;
      initialContent: string;
      /** The server's rendering of `initialContent`: the first preview costs no script. */
      initialHtml: string;
    };

/**
 * A title and a Markdown body with a live preview. The preview uses the same
 * renderer as the server (lib/markdown/render.ts: marked + sanitize-html), so
 * what the author sees is what readers get; it is loaded on the first edit,
 * not with the page.
 */
export function PostEditor(props: PostEditorProps) {
  const editing = props.mode === "edit";
  const initialTitle = editing ? props.initialTitle : "";
  const initialContent = editing ? props.initialContent : "";
  const [title, setTitle] = useState(initialTitle);
  const [content, setContent] = useState(initialContent);
  const [previewHtml, setPreviewHtml] = useState(editing ? props.initialHtml : "");
  const [previewFailed, setPreviewFailed] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useCreatePostMutation();
  const update = useUpdatePostMutation(editing ? props.postId : 0);
  const saving = create.isPending || update.isPending;
  // Before hydration a submit would be the browser's own (a GET with the post in the URL).
  const hydrated = useHydrated();
  const titleRef = useRef<HTMLInputElement>(null);
  const contentRef = useRef<HTMLTextAreaElement>(null);
  const ids = {
    title: useId(),
    titleError: useId(),
    content: useId(),
    contentHint: useId(),
    contentError: useId(),
    preview: useId(),
  };

  // Render the preview once typing pauses. The first render is the server's
  // (or empty), so nothing runs until the content changes.
  const renderedFor = useRef(initialContent);
  useEffect(() => {
    if (content === renderedFor.current) return;
    let cancelled = false;
    const timer = setTimeout(() => {
      import("@/lib/markdown/render").then(
        ({ renderMarkdown }) => {
          if (cancelled) return;
          renderedFor.current = content;
          setPreviewFailed(false);
          setPreviewHtml(renderMarkdown(content));
        },
        // The renderer's chunk did not load (offline, or a deploy replaced
        // it): say so rather than show a preview that no longer matches.
        () => {
          if (!cancelled) setPreviewFailed(true);
        },
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [content]);

  function validate(): FieldErrors {
    const found: FieldErrors = {};
    const t = title.trim();
    const c = content.trim();
    if (!t) found.title = "Give your post a title.";
    else if (t.length > MAX_TITLE) found.title = `The title can be at most ${MAX_TITLE} characters.`;
    if (!c) found.content = "Write something in the post.";
    else if (c.length > MAX_CONTENT) found.content = `The post can be at most ${MAX_CONTENT.toLocaleString("en-US")} characters.`;
    return found;
  }

  function focusFirst(found: FieldErrors) {
    if (found.title) titleRef.current?.focus();
    else if (found.content) contentRef.current?.focus();
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (saving) return;
    const found = validate();
    setErrors(found);
    if (found.title || found.content) {
      focusFirst(found);
      return;
    }
    const onError = (error: unknown) => {
      const next = serverErrors(error, editing ? "Your changes were not saved" : "Your post was not published");
      setErrors(next);
      focusFirst(next);
    };
    if (props.mode === "create") {
      create.mutate({ title, content }, { onError });
      return;
    }
    // Send only what changed; nothing changed → nothing to save.
    const changes: Partial<PostInput> = {};
    if (title.trim() !== props.initialTitle.trim()) changes.title = title;
    if (content.trim() !== props.initialContent.trim()) changes.content = content;
    if (changes.title === undefined && changes.content === undefined) {
      setErrors({ form: "Nothing has changed yet." });
      return;
    }
    update.mutate(changes, { onError });
  }

  const cancelHref = editing ? postPath(props.postId) : "/";

  return (
    <form className="post-editor" onSubmit={submit} noValidate aria-busy={saving || undefined}>
      <div className="field">
        <label htmlFor={ids.title}>Title</label>
        <input
          ref={titleRef}
          id={ids.title}
          name="title"
          type="text"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          maxLength={MAX_TITLE}
          required
          autoComplete="off"
          aria-invalid={errors.title ? true : undefined}
          aria-describedby={ids.titleError}
        />
        <p id={ids.titleError} className="inline-error" role="alert">
          {errors.title}
        </p>
      </div>
      <div className="editor-panes">
        <div className="field">
          <label htmlFor={ids.content}>Content</label>
          <p id={ids.contentHint} className="form-hint">
            Markdown: **bold**, _italic_, # headings, - lists, [links](https://example.com), ```code```.
          </p>
          <textarea
            ref={contentRef}
            id={ids.content}
            name="content"
            rows={18}
            value={content}
            onChange={(e) => setContent(e.target.value)}
            maxLength={MAX_CONTENT}
            required
            aria-invalid={errors.content ? true : undefined}
            aria-describedby={`${ids.contentHint} ${ids.contentError}`}
          />
          <p id={ids.contentError} className="inline-error" role="alert">
            {errors.content}
          </p>
        </div>
        <section className="editor-preview" aria-labelledby={ids.preview}>
          <h2 id={ids.preview} className="editor-preview-title">
            Preview
          </h2>
          {previewFailed ? (
            <p className="inline-error" role="status">
              The preview could not be updated. Saving still works; reload the page to get the preview back.
            </p>
          ) : null}
          {previewHtml ? (
            // Sanitized by renderMarkdown (the server's own renderer).
            <div className="prose" dangerouslySetInnerHTML={{ __html: previewHtml }} />
          ) : (
            <p className="form-hint">Nothing to preview yet.</p>
          )}
        </section>
      </div>
      <p className="inline-error" role="alert">
        {errors.form}
      </p>
      <div className="form-actions">
        <button type="submit" disabled={saving || !hydrated}>
          {editing ? (saving ? "Saving…" : "Save changes") : saving ? "Publishing…" : "Publish"}
        </button>
        <Link href={cancelHref} className="button-link">
          Cancel
        </Link>
      </div>
    </form>
  );
}

/** An API error as messages per field (docs/api.md: `details` has one entry per invalid field). */
function serverErrors(error: unknown, action: string): FieldErrors {
  if (!(error instanceof ApiError)) return { form: describeError(error, action) };
  if (error.code === "payload_too_large") {
    return { content: "This post is too large to send. Shorten it and try again." };
  }
  if (error.code !== "validation_error" || error.details.length === 0) return { form: describeError(error, action) };
  const found: FieldErrors = {};
  const other: string[] = [];
  for (const detail of error.details) {
    const field = detail.field === "title" || detail.field === "content" ? detail.field : null;
    if (field) found[field] = found[field] ? `${found[field]} ${detail.message}` : capitalize(detail.message);
    else other.push(detail.message);
  }
  if (other.length > 0) found.form = `${action}. ${other.map(capitalize).join(" ")}`;
  return found;
}

function capitalize(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}
