// The server Playwright runs: a fresh, seeded e2e database, then `npm start`.
// Refuses any database that is not local and not named for tests.
import { spawn } from "node:child_process";
import path from "node:path";
import { createTestDatabase, seedDatabase } from "../test/databases";

const root = path.resolve(import.meta.dirname, "..");
const url = new URL(process.env.DATABASE_URL ?? "");
const name = url.pathname.slice(1);

await createTestDatabase(name);
await seedDatabase(url.toString(), ["--users", "30", "--posts", "45", "--max-likes", "12", "--max-comments", "5", "--seed", "11"]);
const child = spawn(path.join(root, "node_modules", ".bin", "tsx"), ["scripts/start.ts"], { cwd: root, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 1));
