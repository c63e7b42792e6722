import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// Boundaries from docs (shared conventions): only lib/db talks to Prisma, only
// the Redis backend talks to ioredis, and client code reaches the server only
// through the JSON API.
const prismaImports = {
  group: ["@/generated/prisma", "@/generated/prisma/*", "**/generated/prisma/**", "@prisma/client", "@prisma/client/*"],
  message: "Only lib/db (and the seed/migration tooling) may import Prisma; call a service in lib/<domain> instead.",
};
const redisImport = { name: "ioredis", message: "Only lib/cache/redis.ts may import ioredis; use lib/cache." };

const config = [
  { ignores: [".next/**", "node_modules/**", "generated/**", ".data/**", "test-results/**", "playwright-report/**", "next-env.d.ts"] },
  ...nextVitals,
  ...nextTs,
  {
    rules: {
      "no-restricted-imports": ["error", { paths: [redisImport], patterns: [prismaImports] }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    files: ["lib/db/**", "lib/seed/**", "scripts/**", "prisma/**"],
    rules: { "no-restricted-imports": ["error", { paths: [redisImport] }] },
  },
  {
    files: ["lib/cache/redis.ts", "bench/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [prismaImports] }] },
  },
];

export default config;
