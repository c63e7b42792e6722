/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // No gzip here: a page served whole from the cache gets a fresh nonce in
  // every response, so its bytes cannot be compressed once and stored; both
  // paths send the same uncompressed bytes. Compression belongs to the reverse
  // proxy in front (docs/decisions/007-fast-path.md).
  compress: false,
  // PGlite ships WASM and data files that must be loaded from node_modules at
  // run time, not bundled; pg and ioredis are plain Node libraries.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "pg", "ioredis", "@prisma/adapter-pg"],
  // Security headers for the responses proxy.ts does not run for (/api, static
  // files): the same values as lib/security/headers.ts (test/security-headers.test.ts
  // checks they agree). Pages get these from the proxy too, with their nonce'd CSP.
  async headers() {
    const common = [
      { key: "X-Content-Type-Options", value: "nosniff" },
      { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
      { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
      { key: "X-Frame-Options", value: "DENY" },
    ];
    return [
      { source: "/:path*", headers: common },
      {
        source: "/api/:path*",
        headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" }],
      },
    ];
  },
};

export default nextConfig;
