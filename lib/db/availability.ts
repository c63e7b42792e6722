import { currentScope } from "@/lib/scope";

// Whether PostgreSQL can be reached, as the app's own statements find out.
// No Prisma import here: lib/http and lib/metrics read this module, and only
// lib/db/client.ts (which reports into it) touches Prisma.
//
// What a failure looks like depends on where it happened (seen with Prisma
// 7.10, @prisma/adapter-pg 7.10 and pg 8.23, through a TCP proxy that resets
// or swallows connections — lib/db/availability.test.ts):
// - a connection reset or closed, at connect or mid-statement, in or out of a
//   transaction: Prisma's P1017 or P2010 with the adapter's error kind
//   `ConnectionClosed` in `meta.driverAdapterError.cause` (ECONNREFUSED is
//   `DatabaseNotReachable`);
// - a connect that times out, or a wait for a free connection of the pool
//   that does: pg-pool's own Error ("Connection terminated due to connection
//   timeout", "timeout exceeded when trying to connect"), passed through by
//   the adapter and by Prisma untouched;
// - a statement that gets no answer: pg's "Query read timeout" (query_timeout),
//   or PostgreSQL's 57014 when its statement_timeout cancels it.

/** Why a statement could not be run; `null` from `databaseFailure` when the database did answer (a constraint, a bad query). */
export type DatabaseFailure = "unreachable" | "connection_lost" | "pool_timeout" | "statement_timeout";

const FAILURES: ReadonlySet<string> = new Set(["unreachable", "connection_lost", "pool_timeout", "statement_timeout"]);

/** Prisma's codes for a database that cannot be reached or stopped answering (P2024: pool timeout; P1017: server closed the connection). */
const PRISMA_CODES: Record<string, DatabaseFailure> = {
  P1001: "unreachable",
  P1002: "unreachable",
  P1008: "statement_timeout",
  P1017: "connection_lost",
  P2024: "pool_timeout",
};

/** The adapter's error kinds (DriverAdapterError.cause.kind). */
const ADAPTER_KINDS: Record<string, DatabaseFailure> = {
  DatabaseNotReachable: "unreachable",
  ConnectionClosed: "connection_lost",
  SocketTimeout: "connection_lost",
  TooManyConnections: "unreachable",
};

/** Node's socket error codes. */
const SOCKET_CODES: Record<string, DatabaseFailure> = {
  ECONNREFUSED: "unreachable",
  ENOTFOUND: "unreachable",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  EAI_AGAIN: "unreachable",
  ECONNRESET: "connection_lost",
  EPIPE: "connection_lost",
  ETIMEDOUT: "connection_lost",
};

/** pg's and pg-pool's own messages (plain Errors, no code). */
const DRIVER_MESSAGES: readonly [RegExp, DatabaseFailure][] = [
  [/^timeout exceeded when trying to connect$/, "pool_timeout"],
  [/^Connection terminated due to connection timeout$/, "unreachable"],
  [/^Connection terminated unexpectedly$/, "connection_lost"],
  [/^Connection terminated$/, "connection_lost"],
  [/^Query read timeout$/, "statement_timeout"],
  [/is not queryable$/, "connection_lost"],
];

/**
 * PostgreSQL's SQLSTATEs that mean "not now" rather than "wrong": class 08
 * (connection exception), 53300 too_many_connections, 57P01-57P03 (shutting
 * down, starting up), 57014 query_canceled (our statement_timeout).
 */
function sqlStateFailure(code: string): DatabaseFailure | null {
  if (code.startsWith("08")) return "connection_lost";
  if (code === "53300" || code === "57P03") return "unreachable";
  if (code === "57P01" || code === "57P02") return "connection_lost";
  if (code === "57014") return "statement_timeout";
  return null;
}

function read(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Whether `error` (as Prisma, the adapter or pg threw it, or anything that
 * wraps one of those as its `cause`) says the database could not be reached
 * or stopped answering — and why. `null` for every other error, including
 * the ones the database answered with (a unique violation is a bug or a
 * conflict, not an outage).
 */
export function databaseFailure(error: unknown): DatabaseFailure | null {
  let current = error;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    // By name, not instanceof: this module has a copy in server.ts's graph and one in Next's bundle.
    if (read(current, "name") === "DatabaseUnavailableError") {
      const failure = read(current, "failure");
      if (typeof failure === "string" && FAILURES.has(failure)) return failure as DatabaseFailure;
    }
    const code = read(current, "code");
    if (typeof code === "string") {
      const known = PRISMA_CODES[code] ?? SOCKET_CODES[code] ?? (/^[0-9A-Z]{5}$/.test(code) ? sqlStateFailure(code) : null);
      if (known) return known;
    }
    const adapterError = read(read(current, "meta"), "driverAdapterError");
    const cause = read(adapterError, "cause") ?? (read(current, "name") === "DriverAdapterError" ? read(current, "cause") : undefined);
    const kind = read(cause, "kind");
    if (typeof kind === "string") {
      if (ADAPTER_KINDS[kind]) return ADAPTER_KINDS[kind];
      const original = read(cause, "originalCode") ?? read(cause, "code");
      if (typeof original === "string" && sqlStateFailure(original)) return sqlStateFailure(original);
    }
    const message = read(current, "message");
    if (typeof message === "string") {
      for (const [pattern, failure] of DRIVER_MESSAGES) if (pattern.test(message)) return failure;
    }
    current = read(current, "cause");
  }
  return null;
}

/** True when `error` means the database could not be reached or stopped answering (see `databaseFailure`). */
export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseFailure(error) !== null;
}

/**
 * Thrown instead of running a statement when the database is already known to
 * be unreachable for this request (see `refuseIfKnownDown`). lib/http
 * answers it with 503 like the driver's own errors.
 */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  constructor(
    readonly failure: DatabaseFailure,
    options?: { cause?: unknown },
  ) {
    super("The database cannot be reached.", options);
  }
}

/**
 * Once a statement of a request has found the database unreachable, the
 * request's next statements fail at once instead of each waiting out its own
 * connect timeout (a post page reads the session, then the post: two waits of
 * DB_CONNECT_TIMEOUT_MS where one says enough). Other requests still try.
 */
export function refuseIfKnownDown(): void {
  if (currentScope()?.db.unavailable) throw new DatabaseUnavailableError("unreachable");
}

// --- what the process has seen ------------------------------------------------

export interface DatabaseAvailability {
  /** The outcome of the latest statement (or probe): `null` before the first. */
  up: boolean | null;
  /** When `up` last changed (ms since the epoch). */
  changedAt: number;
  /** When the latest statement ended (ms since the epoch), 0 before the first. */
  lastAt: number;
  /** Failed statements since the process started, per reason ("error": the database answered with an error). */
  failed: Map<DatabaseFailure | "error", number>;
}

// On globalThis: this module is loaded by server.ts (tsx) and by Next's
// bundle, and both must see the one state the database client reports into.
const globalForAvailability = globalThis as unknown as { blogDbAvailability?: DatabaseAvailability };

export function databaseAvailability(): DatabaseAvailability {
  return (globalForAvailability.blogDbAvailability ??= { up: null, changedAt: Date.now(), lastAt: 0, failed: new Map() });
}

function setUp(state: DatabaseAvailability, up: boolean, now: number): void {
  if (state.up !== up) {
    state.up = up;
    state.changedAt = now;
  }
  state.lastAt = now;
}

/** A statement succeeded: the database is reachable. */
export function recordStatementOk(): void {
  setUp(databaseAvailability(), true, Date.now());
}

/**
 * A statement failed. When the failure says the database is unreachable,
 * the process marks it down and so does the current request's scope (which
 * is how a page's 500 becomes a 503: see lib/http/degraded.ts).
 */
export function recordStatementFailed(error: unknown): DatabaseFailure | null {
  const failure = databaseFailure(error);
  const state = databaseAvailability();
  state.failed.set(failure ?? "error", (state.failed.get(failure ?? "error") ?? 0) + 1);
  if (failure) {
    setUp(state, false, Date.now());
    const scope = currentScope();
    if (scope) scope.db.unavailable = true;
  }
  return failure;
}
