"use client";

import { useRouter } from "next/navigation";
import { type FormEvent, useId, useRef, useState, useSyncExternalStore } from "react";
import { getAuthClient } from "./auth-client";
import { type AuthErrorMessage, type AuthField, describeAuthError, MIN_PASSWORD_LENGTH, validateAuthFields } from "./auth-errors";

type Mode = "sign-in" | "sign-up";

const FIELDS: AuthField[] = ["name", "email", "password"];
const noopSubscribe = () => () => {};

/**
 * The sign-in / sign-up form. On success it goes to `next` (already checked by
 * safeNextPath on the server) and refreshes, so server components — the site
 * nav in the root layout above all, which a client navigation alone would not
 * re-render — see the new session.
 */
export function AuthForm({ mode, next, labelledBy }: { mode: Mode; next: string; labelledBy: string }) {
  const router = useRouter();
  const id = useId();
  const [pending, setPending] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<AuthField, string>>>({});
  const [failure, setFailure] = useState<AuthErrorMessage | null>(null);
  const inputs = useRef<Partial<Record<AuthField, HTMLInputElement | null>>>({});
  // Until React has hydrated, a submit would be the browser's own (a POST of
  // the password to this page): keep the button disabled until then.
  const hydrated = useSyncExternalStore(noopSubscribe, () => true, () => false);

  const alertId = `${id}-alert`;
  const invalid = (field: AuthField) => Boolean(fieldErrors[field]) || failure?.field === field;
  const describedBy = (field: AuthField, hint?: string) =>
    [hint, fieldErrors[field] ? `${id}-${field}-error` : undefined, failure?.field === field ? alertId : undefined]
      .filter(Boolean)
      .join(" ") || undefined;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const data = new FormData(event.currentTarget);
    const values = {
      name: String(data.get("name") ?? "").trim(),
      email: String(data.get("email") ?? "").trim(),
      password: String(data.get("password") ?? ""),
    };
    const errors = validateAuthFields(mode, values);
    setFieldErrors(errors);
    setFailure(null);
    const firstInvalid = FIELDS.find((f) => errors[f]);
    if (firstInvalid) {
      inputs.current[firstInvalid]?.focus();
      return;
    }

    setPending(true);
    let retryAfter: number | null = null;
    const fetchOptions = {
      onError: (context: { response: Response }) => {
        const header = context.response.headers.get("x-retry-after") ?? context.response.headers.get("retry-after");
        retryAfter = header !== null && /^\d+$/.test(header) ? Number(header) : null;
      },
    };
    let result: AuthErrorMessage | null;
    try {
      const client = getAuthClient();
      const { error } =
        mode === "sign-in"
          ? await client.signIn.email({ email: values.email, password: values.password, fetchOptions })
          : await client.signUp.email({ name: values.name, email: values.email, password: values.password, fetchOptions });
      result = error ? describeAuthError({ status: error.status, code: error.code, message: error.message, retryAfter }) : null;
    } catch {
      // fetch itself threw: offline, connection refused or reset.
      result = describeAuthError({ status: 0 });
    }
    if (result) {
      setFailure(result);
      setPending(false);
      if (result.field) inputs.current[result.field]?.focus();
      return;
    }
    // Stay "pending" while the next page loads: no second submit.
    router.replace(next);
    router.refresh();
  }

  const submitLabel = mode === "sign-in" ? "Sign in" : "Create account";
  return (
    <form className="auth-form" method="post" noValidate aria-labelledby={labelledBy} aria-busy={pending} onSubmit={onSubmit}>
      <p id={alertId} role="alert" className="auth-error">
        {failure?.message}
      </p>
      {mode === "sign-up" && (
        <div className="auth-field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            ref={(el) => {
              inputs.current.name = el;
            }}
            id={`${id}-name`}
            name="name"
            type="text"
            autoComplete="name"
            required
            maxLength={100}
            aria-invalid={invalid("name")}
            aria-describedby={describedBy("name")}
          />
          {fieldErrors.name && (
            <p id={`${id}-name-error`} className="auth-field-error">
              {fieldErrors.name}
            </p>
          )}
        </div>
      )}
      <div className="auth-field">
        <label htmlFor={`${id}-email`}>Email</label>
        <input
          ref={(el) => {
            inputs.current.email = el;
          }}
          id={`${id}-email`}
          name="email"
          type="email"
          autoComplete={mode === "sign-in" ? "username" : "email"}
          inputMode="email"
          spellCheck={false}
          required
          aria-invalid={invalid("email")}
          aria-describedby={describedBy("email")}
        />
        {fieldErrors.email && (
          <p id={`${id}-email-error`} className="auth-field-error">
            {fieldErrors.email}
          </p>
        )}
      </div>
      <div className="auth-field">
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          ref={(el) => {
            inputs.current.password = el;
          }}
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete={mode === "sign-in" ? "current-password" : "new-password"}
          required
          minLength={mode === "sign-up" ? MIN_PASSWORD_LENGTH : undefined}
          aria-invalid={invalid("password")}
          aria-describedby={describedBy("password", mode === "sign-up" ? `${id}-password-hint` : undefined)}
        />
        {mode === "sign-up" && (
          <p id={`${id}-password-hint`} className="auth-hint">
            At least {MIN_PASSWORD_LENGTH} characters.
          </p>
        )}
        {fieldErrors.password && (
          <p id={`${id}-password-error`} className="auth-field-error">
            {fieldErrors.password}
          </p>
        )}
      </div>
      <button type="submit" className="auth-submit" disabled={!hydrated || pending}>
        {pending ? (mode === "sign-in" ? "Signing in…" : "Creating account…") : submitLabel}
      </button>
      <noscript>
        <p className="auth-hint">Signing in needs JavaScript; reading the blog does not.</p>
      </noscript>
    </form>
  );
}
