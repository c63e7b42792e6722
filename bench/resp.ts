// The smallest Redis client the bare floor needs: GET (and SET, for checks)
// over one TCP connection, pipelined (replies come back in request order, so
// a FIFO of pending calls is the whole protocol state). RESP2 replies:
// +simple, -error, :integer, $bulk (or $-1 for nil). Arrays never come back
// from these commands.
import net from "node:net";

type Reply = Buffer | string | number | null;
interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

export class RespClient {
  readonly #host: string;
  readonly #port: number;
  #socket: net.Socket | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #pending: Pending[] = [];

  constructor(options: { host: string; port: number }) {
    this.#host = options.host;
    this.#port = options.port;
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host: this.#host, port: this.#port }, () => resolve());
      socket.setNoDelay(true);
      socket.on("data", (chunk: Buffer) => this.feed(chunk));
      socket.on("error", (error) => {
        reject(error);
        this.#failAll(error);
      });
      socket.on("close", () => this.#failAll(new Error("Redis connection closed")));
      this.#socket = socket;
    });
  }

  close(): void {
    this.#socket?.destroy();
  }

  /** The value of `key` as bytes, or null when it is absent. */
  async get(key: string): Promise<Buffer | null> {
    const reply = await this.#command(["GET", key]);
    if (reply !== null && !Buffer.isBuffer(reply)) throw new Error(`unexpected GET reply ${String(reply)}`);
    return reply;
  }

  async set(key: string, value: string): Promise<void> {
    await this.#command(["SET", key, value]);
  }

  #command(args: string[]): Promise<Reply> {
    const socket = this.#socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error("not connected"));
    let frame = `*${args.length}\r\n`;
    for (const arg of args) frame += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      socket.write(frame);
    });
  }

  /** Parses every complete reply in the buffer; keeps a partial one for the next chunk. Public for tests. */
  feed(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const parsed = parseReply(this.#buffer);
      if (!parsed) return;
      this.#buffer = this.#buffer.subarray(parsed.end);
      const pending = this.#pending.shift();
      if (!pending) continue;
      if (parsed.error) pending.reject(new Error(parsed.error));
      else pending.resolve(parsed.reply);
    }
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.splice(0)) pending.reject(error);
  }
}

/** One RESP2 reply from the start of `buffer`, or undefined when it is not complete yet. */
export function parseReply(buffer: Buffer): { reply: Reply; error?: string; end: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n");
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[0] ?? 0);
  const line = buffer.toString("utf8", 1, lineEnd);
  switch (type) {
    case "+":
      return { reply: line, end: lineEnd + 2 };
    case "-":
      return { reply: null, error: line, end: lineEnd + 2 };
    case ":":
      return { reply: Number(line), end: lineEnd + 2 };
    case "$": {
      const length = Number(line);
      if (length < 0) return { reply: null, end: lineEnd + 2 };
      const start = lineEnd + 2;
      if (buffer.length < start + length + 2) return undefined;
      return { reply: buffer.subarray(start, start + length), end: start + length + 2 };
    }
    default:
      throw new Error(`unsupported RESP reply type ${JSON.stringify(type)}`);
  }
}
