import { isIP } from "node:net";

/**
 * The client's address, as every check that keys on it (rate limits, the
 * operator routes' loopback rule) sees it: the LAST entry of X-Forwarded-For.
 *
 * server.ts overwrites that header with the socket's address unless
 * TRUST_PROXY=1, so without a proxy it holds one entry the client cannot pick.
 * Behind one trusted proxy (TRUST_PROXY=1), the proxy appends the address it
 * saw to whatever the client sent: only the last entry is the proxy's word,
 * the ones before it are the client's claims. An IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`, what a dual-stack socket reports) is given as IPv4.
 * Null when the header is missing or its last entry is not an address.
 */
export function clientAddress(headers: Headers): string | null {
  const forwarded = headers.get("x-forwarded-for");
  if (forwarded === null) return null;
  const last = forwarded.slice(forwarded.lastIndexOf(",") + 1).trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(last);
  const address = mapped ? mapped[1]! : last;
  return isIP(address) === 0 ? null : address.toLowerCase();
}

/** 127.0.0.0/8 or ::1: a client on this machine. */
export function isLoopback(address: string | null): boolean {
  if (address === null) return false;
  if (isIP(address) === 4) return address.startsWith("127.");
  if (isIP(address) !== 6) return false;
  try {
    // The URL parser writes an IPv6 address in its shortest form: ::1 however it was spelled.
    return new URL(`http://[${address}]`).hostname === "[::1]";
  } catch {
    return false;
  }
}

/**
 * `headers` with X-Forwarded-For holding exactly `clientAddress(headers)` (or
 * none): what the auth library reads, so that its per-address rate limits key
 * on the same address as everything else (it trusts a single-entry header
 * only, and would put every proxied client in one shared bucket otherwise).
 */
export function withClientAddress(headers: Headers): Headers {
  const copy = new Headers(headers);
  const address = clientAddress(headers);
  if (address === null) copy.delete("x-forwarded-for");
  else copy.set("x-forwarded-for", address);
  return copy;
}
