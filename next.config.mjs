/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // PGlite ships WASM and data files that must be loaded from node_modules at
  // run time, not bundled; pg and ioredis are plain Node libraries.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "pg", "ioredis", "@prisma/adapter-pg"],
};

export default nextConfig;
