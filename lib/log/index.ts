import { randomUUID } from "node:crypto";
import pino, { type DestinationStream, type Logger } from "pino";
import { getEnv } from "@/lib/env";
import { currentScope, type RequestScope } from "@/lib/scope";

// Structured logs: one JSON object per line on stdout (pino), at LOG_LEVEL.
// One logger per process, on globalThis: server.ts (run by tsx) installs it,
// and code inside Next's server bundle — a second copy of this module — logs
// through the same one, with the request id of the request being served.

export type { Logger } from "pino";

interface LogGlobals {
  blogLogger?: Logger;
  blogRequestIds?: WeakMap<RequestScope, string>;
}
const globalForLog = globalThis as unknown as LogGlobals;

/** A JSON logger at `level` (default: LOG_LEVEL) writing to `stream` (default: stdout). */
export function createLogger(options: { level?: string; stream?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? getEnv().LOG_LEVEL,
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than 30: read by people and by log pipelines alike.
      formatters: { level: (label) => ({ level: label }) },
      // Error objects under `err` keep their type, message and stack.
      serializers: { err: pino.stdSerializers.err },
    },
    options.stream,
  );
}

/** The process's logger (JSON at LOG_LEVEL unless server.ts installed the development one). */
export function getLogger(): Logger {
  return (globalForLog.blogLogger ??= createLogger());
}

/**
 * Installs the process's logger; server.ts calls it once, before the first
 * request. `pretty`: human lines through pino-pretty (colored on a terminal)
 * — in development, and whenever stdout is a terminal (someone is reading
 * it); JSON lines otherwise, for log pipelines.
 */
export async function configureLogger(options: { pretty: boolean }): Promise<Logger> {
  if (!options.pretty) return getLogger();
  const { default: pretty } = await import("pino-pretty");
  const level = getEnv().LOG_LEVEL;
  const stream = pretty({ colorize: process.stdout.isTTY === true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname", singleLine: true });
  // pino-pretty reads numeric levels: no label formatter here.
  globalForLog.blogLogger = pino({ level, serializers: { err: pino.stdSerializers.err } }, stream);
  return globalForLog.blogLogger;
}

// An id a client or a proxy may send: printable, no spaces or quotes, bounded.
const WELL_FORMED_ID = /^[A-Za-z0-9._:+/=@-]{1,128}$/;

/** The request id to use: a well-formed incoming X-Request-Id, else a new UUID. */
export function requestIdFrom(header: string | readonly string[] | undefined): string {
  const value = typeof header === "string" ? header.trim() : undefined;
  return value !== undefined && WELL_FORMED_ID.test(value) ? value : randomUUID();
}

/** Ties a request id to a request scope (server.ts, before Next's handler). */
export function bindRequestId(scope: RequestScope, requestId: string): void {
  (globalForLog.blogRequestIds ??= new WeakMap()).set(scope, requestId);
}

/** The id of the request being served, if any (inside server.ts's request scope). */
export function currentRequestId(): string | undefined {
  const scope = currentScope();
  return scope ? globalForLog.blogRequestIds?.get(scope) : undefined;
}

/** The logger for the request being served: every line carries its `reqId`. */
export function requestLogger(): Logger {
  const requestId = currentRequestId();
  return requestId ? getLogger().child({ reqId: requestId }) : getLogger();
}
