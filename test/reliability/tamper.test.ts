import { webcrypto } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createRng, tamper } from "./fuzz";

// The fuzzers send "tampered session token" cookies and count a 2xx for one as
// a failure of the app. That oracle is only sound if the tampered value really
// is another token or signature: base64 leaves the low bits of an HMAC's last
// character unused and atob ignores them, so "…X=" → "…A=" can spell the same
// signature (a CI run once failed on exactly that). The cookie below is built
// and checked the way better-auth's signed cookies are (better-call's
// crypto.ts: `${token}.${btoa(HMAC-SHA256)}`, URI-encoded; atob to verify).
describe("tamper (the fuzzers' forged session cookie)", () => {
  it("never yields a cookie that still verifies", async () => {
    const subtle = webcrypto.subtle;
    const algorithm = { name: "HMAC", hash: "SHA-256" };
    const key = await subtle.importKey("raw", new TextEncoder().encode("fuzz-tamper-secret"), algorithm, false, ["sign", "verify"]);
    // A token whose signature ends in "A=": "B=" would decode to the same bytes.
    let token = "";
    let cookie = "";
    for (let n = 0; !cookie.endsWith("A%3D"); n++) {
      token = `9dZtJUg6jiLhDVCbZZOOzaGwC55D${String(n).padStart(4, "0")}`;
      const signature = new Uint8Array(await subtle.sign(algorithm, key, new TextEncoder().encode(token)));
      cookie = encodeURIComponent(`${token}.${btoa(String.fromCharCode(...signature))}`);
    }

    const stillValid: string[] = [];
    for (let seed = 1; seed <= 2_000; seed++) {
      const tampered = tamper(cookie, createRng(seed));
      let decoded: string;
      try {
        decoded = decodeURIComponent(tampered);
      } catch {
        continue; // undecodable: no session
      }
      const dot = decoded.lastIndexOf(".");
      if (dot < 0 || decoded.slice(0, dot) !== token) continue;
      let bytes: Uint8Array;
      try {
        bytes = Uint8Array.from(atob(decoded.slice(dot + 1)), (c) => c.charCodeAt(0));
      } catch {
        continue; // not base64: no session
      }
      if (await subtle.verify(algorithm, key, bytes, new TextEncoder().encode(token))) stillValid.push(`seed ${seed}: ${tampered}`);
    }
    expect(stillValid).toEqual([]);
  });
});
