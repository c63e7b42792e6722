// Prisma CLI configuration. The runtime never reads this file: lib/db builds
// its own client from lib/env. The URL here only matters to `prisma generate`
// (which ignores it) and to anyone running Prisma's own CLI against a database.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/blog" },
});
