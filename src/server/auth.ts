import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/**
 * Access rules of `awl serve`. Loopback needs no token (only this machine can connect);
 * any other address serves session transcripts to the network, so it needs a token, and
 * the server refuses to start without one rather than expose them.
 */
export class ServeError extends Error {
  override name = "ServeError";
}

const LOOPBACK_NAMES = new Set(["localhost", "ip6-localhost", "ip6-loopback"]);

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (LOOPBACK_NAMES.has(h)) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(h);
  return false;
}

/** Throws the one-line reason when the address may not be bound with these settings. */
export function checkBind(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw new ServeError(`refusing to listen on ${host} without a token: pass --token or set AWL_SERVE_TOKEN (or bind to 127.0.0.1)`);
  }
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time comparison: both sides are hashed first, so neither content nor length leaks through timing. */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token a request presents: `Authorization: Bearer T`, else the dashboard's cookie. */
export function presentedToken(authorization: string | undefined, cookie: string | undefined): string | undefined {
  if (authorization) {
    const m = /^Bearer[ \t]+(\S+)\s*$/i.exec(authorization);
    return m?.[1];
  }
  if (cookie) {
    for (const part of cookie.split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) return decodeCookie(part.slice(eq + 1).trim());
    }
  }
  return undefined;
}

export const TOKEN_COOKIE = "awl_token";

/** A cookie value that is not valid percent-encoding is no token (a wrong one: 401), not a server error. */
function decodeCookie(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Host names a loopback server answers to. A web page elsewhere can point its own name at
 * 127.0.0.1 (DNS rebinding) and read the API through the user's browser; refusing foreign
 * Host headers closes that.
 */
export function allowedHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(hostHeader.trim());
  return m !== null && isLoopback(m[1]!);
}
