import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FakeSecrets, lookalikeCases, type SecretCase, secretCases } from "./redact-corpus.js";
import { mayContainSecret, redactJsonLine, redactString, redactValue, redactValueWithHits } from "./redact.js";
import { isSecretName, looksLikeSecretValue, RULES } from "./redact-rules.js";

const SECRETS = secretCases();
const LOOKALIKES = lookalikeCases();

function serialized(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Every secret of the case is gone from the redacted value, wherever it was. */
function secretsSurviving(c: SecretCase, redacted: unknown): string[] {
  const out = JSON.stringify(redacted);
  // Compare both forms: a secret with `/` or `+` is stored escaped nowhere, but newlines are.
  return c.secrets.filter((s) => out.includes(s) || out.includes(JSON.stringify(s).slice(1, -1)));
}

describe("corpus", () => {
  it("has at least 40 secret shapes and 40 look-alikes", () => {
    expect(SECRETS.length).toBeGreaterThanOrEqual(40);
    expect(LOOKALIKES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(SECRETS.map((c) => c.name)).size).toBe(SECRETS.length);
  });

  it("uses only rule ids that exist", () => {
    const ids = new Set(RULES.map((r) => r.id));
    for (const c of SECRETS) expect(ids.has(c.rule), c.rule).toBe(true);
  });

  it("is deterministic", () => {
    expect(secretCases().map((c) => c.secrets)).toEqual(SECRETS.map((c) => c.secrets));
  });
});

describe("secrets are redacted in context", () => {
  it.each(SECRETS.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const redacted = redactValue(c.value);
    expect(secretsSurviving(c, redacted)).toEqual([]);
    const text = serialized(redacted);
    for (const k of c.keep) expect(text, `context ${JSON.stringify(k)} lost`).toContain(typeof c.value === "string" ? k : JSON.stringify(k).slice(1, -1));
    expect(text).toContain(`[REDACTED:${c.rule}]`);
  });
});

describe("look-alikes survive byte for byte", () => {
  it.each(LOOKALIKES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const redacted = redactValue(c.value);
    expect(redacted).toBe(c.value);
    expect(JSON.stringify(redacted)).toBe(JSON.stringify(c.value));
  });
});

describe("rates", () => {
  it("detects every secret and flags no look-alike", () => {
    const detected = SECRETS.filter((c) => secretsSurviving(c, redactValue(c.value)).length === 0).length;
    const flagged = LOOKALIKES.filter((c) => redactValue(c.value) !== c.value).length;
    const detection = detected / SECRETS.length;
    const falsePositive = flagged / LOOKALIKES.length;
    console.log(
      `redaction: detection ${(detection * 100).toFixed(1)}% (${detected}/${SECRETS.length}), ` +
        `false positives ${(falsePositive * 100).toFixed(1)}% (${flagged}/${LOOKALIKES.length}), ${RULES.length} rules`,
    );
    expect(detection).toBe(1);
    expect(falsePositive).toBe(0);
  });
});

describe("mayContainSecret", () => {
  it.each(SECRETS.map((c) => [c.name, c] as const))("is true for %s, raw and wrapped in an event", (_name, c) => {
    expect(mayContainSecret(JSON.stringify(c.value))).toBe(true);
    expect(mayContainSecret(JSON.stringify({ event_type: "tool_result", data: { result_data: c.value } }))).toBe(true);
    // One more level of escaping: the text inside a JSON string inside a JSON string.
    expect(mayContainSecret(JSON.stringify({ stdout: JSON.stringify({ text: c.text }) }))).toBe(true);
  });

  it("is false for a typical clean event", () => {
    const line = JSON.stringify({
      schema_version: 1,
      timestamp: "2026-07-22T09:50:33.123Z",
      attempt_id: "att_7f3a9c2e-1b4d-4e8f-9a21-0c5d6e7f8a9b",
      task_id: "task-implement-the-redaction-module",
      executor: "claude-code",
      model: "claude-sonnet-4-5",
      event_type: "tool_result",
      elapsed_ms: 48213,
      sequence_num: 57,
      data: { tool_name: "Bash", tool_call_id: "toolu_01XFDUDYJgAACzvnptvVoYEL", result: "success", usage: { input: 12, total_tokens: 48352 } },
    });
    expect(mayContainSecret(line)).toBe(false);
  });

  it("is false for most look-alikes (they may still pass; redaction decides)", () => {
    const passed = LOOKALIKES.filter((c) => mayContainSecret(JSON.stringify(c.value))).length;
    expect(passed).toBeLessThan(LOOKALIKES.length);
  });
});

describe("redactString", () => {
  it("returns the same string object when nothing matched", () => {
    const s = "const token = getToken(); // nothing to see";
    expect(redactString(s)).toBe(s);
  });

  it("replaces only the secret part", () => {
    const f = new FakeSecrets(3);
    const t = f.alnum(40);
    expect(redactString(`Authorization: Bearer ${t}`)).toBe("Authorization: Bearer [REDACTED:bearer-token]");
    const p = f.password(12);
    expect(redactString(`https://jo:${p}@example.com/x`)).toBe("https://jo:[REDACTED:password-in-url]@example.com/x");
    expect(redactString(`export API_KEY=${t} # prod`)).toBe("export API_KEY=[REDACTED:generic-api-key] # prod");
    expect(redactString(`"api_key": "${t}"`)).toBe('"api_key": "[REDACTED:generic-api-key]"');
    expect(redactString(`\\"api_key\\": \\"${t}\\"`)).toBe('\\"api_key\\": \\"[REDACTED:generic-api-key]\\"');
  });

  it("redacts a PEM block whose newlines are JSON-escaped, once or twice", () => {
    const f = new FakeSecrets(4);
    const body = [f.b64(64), f.b64(64), f.b64(20)];
    for (const nl of ["\n", "\\n", "\\\\n", "\r\n"]) {
      const pem = `key=-----BEGIN RSA PRIVATE KEY-----${nl}${body.join(nl)}${nl}-----END RSA PRIVATE KEY-----${nl}done`;
      const out = redactString(pem);
      for (const b of body) expect(out).not.toContain(b);
      expect(out).toBe(`key=[REDACTED:private-key]${nl}done`);
    }
  });

  it("keeps values that are references, code or placeholders next to secret names", () => {
    for (const s of [
      "PASSWORD=$DB_PASSWORD",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and CI syntax, quoted on purpose
      "PASSWORD=${DB_PASSWORD}",
      "password = os.environ['DB_PASSWORD']",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and CI syntax, quoted on purpose
      "token: ${{ secrets.NPM_TOKEN }}",
      "API_KEY=your-api-key-here",
      "SECRET=abc",
      "password: Optional[str] = None",
      "apiKey: config.openai.apiKey,",
      "token = self._token",
    ])
      expect(redactString(s), s).toBe(s);
  });

  it("redacts real-looking values next to secret names", () => {
    for (const [s, expected] of [
      ["PASSWORD=hunter22", "PASSWORD=[REDACTED:generic-api-key]"],
      ["password: 'S3cure!pass'", "password: '[REDACTED:generic-api-key]'"],
      ["export GH_TOKEN=a1b2c3d4e5f6a7b8", "export GH_TOKEN=[REDACTED:generic-api-key]"],
      ["client-secret := Zq8vT2mW9xY4", "client-secret := [REDACTED:generic-api-key]"],
    ])
      expect(redactString(s ?? "")).toBe(expected);
  });
});

describe("redactValue", () => {
  it("returns the identical reference for clean input, at any depth", () => {
    for (const c of LOOKALIKES) expect(redactValue(c.value)).toBe(c.value);
    const deep = { a: [{ b: { c: ["x", 1, true, null, { d: "y" }] } }] };
    expect(redactValue(deep)).toBe(deep);
  });

  it("copies only the path to a change and keeps keys, numbers and booleans", () => {
    const f = new FakeSecrets(5);
    const ghp = `ghp_${f.alnum(36)}`;
    const clean = { k: "v" };
    const input = { n: 1, ok: true, none: null, clean, list: ["a", { deep: `token ${ghp}` }] };
    const out = redactValue(input);
    expect(out).not.toBe(input);
    expect(out.clean).toBe(clean);
    expect(out).toEqual({ n: 1, ok: true, none: null, clean: { k: "v" }, list: ["a", { deep: "token [REDACTED:github-pat]" }] });
    expect(input.list[1]).toEqual({ deep: `token ${ghp}` });
  });

  it("redacts string values under secret-named keys, keeping an auth scheme", () => {
    const f = new FakeSecrets(6);
    const pw = f.password(10);
    const basic = f.b64(24);
    expect(redactValue({ password: pw, Authorization: `Basic ${basic}`, apiKey: 42, client_secret: undefined })).toEqual({
      password: "[REDACTED:generic-api-key]",
      Authorization: "Basic [REDACTED:authorization-header]",
      apiKey: 42,
      client_secret: undefined,
    });
  });

  it("does not treat plain `key`, public keys or pagination tokens as secrets", () => {
    for (const k of ["key", "public_key", "publicKey", "primary_key", "next_page_token", "max_tokens", "total_tokens", "tokenizer", "author"]) expect(isSecretName(k), k).toBe(false);
    for (const k of ["api_key", "apiKey", "x-api-key", "access_token", "refreshToken", "client_secret", "password", "passwd", "DB_PASS", "private_key", "Authorization", "credentials"]) expect(isSecretName(k), k).toBe(true);
  });

  it("redacts a secret used as a key, keeping the order and the values (and two such keys apart)", () => {
    const f = new FakeSecrets(12);
    const a = `ghp_${f.alnum(36)}`;
    const b = `ghp_${f.alnum(36)}`;
    const input = { first: 1, [a]: "x", nested: { [b]: { deep: true } }, [b]: 2, last: "clean" };
    const out = redactValue(input);
    expect(Object.keys(out)).toEqual(["first", "[REDACTED:github-pat]", "nested", "[REDACTED:github-pat]#2", "last"]);
    expect(out).toEqual({ first: 1, "[REDACTED:github-pat]": "x", nested: { "[REDACTED:github-pat]": { deep: true } }, "[REDACTED:github-pat]#2": 2, last: "clean" });
    expect(JSON.stringify(out)).not.toMatch(/ghp_[A-Za-z0-9]{36}/);
    expect(redactValueWithHits(input).hits).toEqual([{ rule: "github-pat", count: 3 }]);
  });

  it("leaves a `__proto__` key a plain property", () => {
    const input = JSON.parse(`{"__proto__": {"token": "${new FakeSecrets(8).alnum(30)}"}}`) as Record<string, unknown>;
    const out = redactValue(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"token":"[REDACTED:generic-api-key]"}}');
  });

  it("inspects what JSON.stringify would write for objects with toJSON", () => {
    const f = new FakeSecrets(9);
    const secret = `ghp_${f.alnum(36)}`;
    const odd = { toJSON: () => ({ url: `https://x:${secret}@github.com` }) };
    expect(JSON.stringify(redactValue({ odd }))).not.toContain(secret);
    const date = new Date(0);
    expect(redactValue({ date }).date).toBe(date);
  });

  it("counts hits per rule", () => {
    const f = new FakeSecrets(10);
    const { value, hits } = redactValueWithHits({ a: `ghp_${f.alnum(36)} ghp_${f.alnum(36)}`, password: f.password(12) });
    expect(value.a).toBe("[REDACTED:github-pat] [REDACTED:github-pat]");
    expect(hits).toEqual(
      expect.arrayContaining([
        { rule: "github-pat", count: 2 },
        { rule: "generic-api-key", count: 1 },
      ]),
    );
  });
});

describe("redactJsonLine", () => {
  it("returns a clean line unchanged", () => {
    const line = `${JSON.stringify({ a: "hello", b: [1, 2] })}\n`;
    expect(redactJsonLine(line)).toBe(line);
  });

  it("redacts a dirty line and keeps its trailing newline", () => {
    const f = new FakeSecrets(11);
    const token = `xoxb-${f.digits(12)}-${f.digits(12)}-${f.alnum(24)}`;
    const out = redactJsonLine(`${JSON.stringify({ data: { output: `SLACK_BOT_TOKEN=${token}` } })}\n`);
    expect(out).toBe('{"data":{"output":"SLACK_BOT_TOKEN=[REDACTED:slack-bot-token]"}}\n');
  });

  it("redacts a line that is not valid JSON as text", () => {
    const f = new FakeSecrets(12);
    const token = `ghp_${f.alnum(36)}`;
    const out = redactJsonLine(`{"torn": "git push https://${token}@github.com/a/b`);
    expect(out).not.toContain(token);
  });

  it("catches keywords hidden by escapes other serializers write", () => {
    const f = new FakeSecrets(13);
    const pw = f.password(12);
    const line = `{"cmd":"psql postgres:\\/\\/jo:${pw}@db\\/app"}`;
    expect(JSON.parse(redactJsonLine(line))).toEqual({ cmd: "psql postgres://jo:[REDACTED:password-in-url]@db/app" });
    const quoted = `{"out":"\\u0022password\\u0022: \\u0022${pw}\\u0022"}`;
    expect(redactJsonLine(quoted)).not.toContain(pw);
  });
});

// ---------------------------------------------------------------------------
// Properties.

const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** Puts `text` inside a random string at a random place in `base`, returning the new tree. */
function embed(base: unknown, text: string, path: number[], pre: string, post: string): unknown {
  const inject = (s: string) => `${s.slice(0, pre.length)}${pre}${text}${post}${s.slice(pre.length)}`;
  const step = path[0];
  if (step === undefined || base === null || typeof base !== "object") {
    return typeof base === "string" ? inject(base) : inject("");
  }
  if (Array.isArray(base)) {
    if (base.length === 0) return [inject("")];
    const i = step % base.length;
    return base.map((v, j) => (j === i ? embed(v, text, path.slice(1), pre, post) : v));
  }
  const keys = Object.keys(base);
  if (keys.length === 0) return { text: inject("") };
  const k = keys[step % keys.length] ?? "";
  return { ...(base as Record<string, unknown>), [k]: embed((base as Record<string, unknown>)[k], text, path.slice(1), pre, post) };
}

const separator = fc.constantFrom(" ", "\n", "\t", " | ", "\n\n", "; ", " (", ") ", "\r\n");

describe("properties", () => {
  it("a corpus secret embedded anywhere never survives, and redaction is idempotent", () => {
    fc.assert(
      fc.property(
        jsonish,
        fc.constantFrom(...SECRETS),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.string({ maxLength: 12 }),
        separator,
        separator,
        fc.string({ maxLength: 12 }),
        (base, c, path, before, sep1, sep2, after) => {
          const tree = embed(base, c.text, path, `${before}${sep1}`, `${sep2}${after}`);
          const line = JSON.stringify(tree);
          expect(mayContainSecret(line)).toBe(true);
          const once = redactValue(tree);
          const out = JSON.stringify(once);
          for (const s of c.secrets) expect(out).not.toContain(JSON.stringify(s).slice(1, -1));
          expect(redactValue(once)).toBe(once);
          expect(JSON.parse(redactJsonLine(line))).toEqual(JSON.parse(out));
        },
      ),
      { numRuns: 400 },
    );
  });

  // Strings assembled from pieces of secrets, names, operators and escapes: wherever any
  // rule's regex matches (validation aside), the prefilter must say yes for the string and
  // for its JSON form. This is the "no false negatives" contract, checked per rule.
  const f = new FakeSecrets(99);
  const pieces = [
    "ghp_", "gho_", "ghs_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "xapp-1-A1-1-", "sk-", "sk-ant-api03-", "sk-proj-", "sk_live_", "rk_test_",
    "AIza", "AKIA", "ASIA", "ya29.", "eyJ", ".eyJ", "npm_", "hf_", "SG.", "hvs.", "dop_v1_", "whsec_", "dapi", "AGE-SECRET-KEY-1",
    "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
    "hooks.slack.com/services/", "discord.com/api/webhooks/123456/", "https://", "postgres://", "u", ":", "@", "/",
    "curl ", " -u ", "--user ", "--password ", "--api-key ", "Bearer ", "Authorization", ": ", "=", "=>", ":=", "?=",
    "API_KEY", "api_key", "apiKey", "token", "TOKEN", "secret", "password", "passwd", "pwd", "DB_PASS", "auth", "credentials", "SecretAccessKey",
    '"', "'", "`", "\\", "\\n", "\n", "\t", " ", "\\\"", "\u001b[0m", "x", "1234567890:AA",
    f.alnum(20), f.alnum(36), f.alnum(48), f.b64(64), f.b64url(40), f.hex(32), f.hex(64), f.upper32(16), f.password(14),
  ];
  const whole = SECRETS.flatMap((c) => [c.text, ...c.secrets]);
  const name = fc.constantFrom("API_KEY", "apiKey", "x-api-key", "DB_PASS", "password", "Secret", "refresh_token", "SecretAccessKey", "authorization", "_auth", "credentials");
  const gap = fc.array(fc.constantFrom(" ", "\t", '"', "'", "`", "\\", '\\"', "?"), { maxLength: 3 }).map((xs) => xs.join(""));
  const op = fc.constantFrom("=", ":", "=>", ":=", "?=", "==");
  const assignment = fc.tuple(name, gap, op, gap, fc.constantFrom(...pieces, ...whole)).map((xs) => xs.join(""));
  const assembled = fc.oneof(
    fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 12 }).map((xs) => xs.join("")),
    fc.array(fc.oneof(fc.constantFrom(...pieces), fc.constantFrom(...whole)), { minLength: 1, maxLength: 6 }).map((xs) => xs.join("")),
    fc.tuple(fc.constantFrom(...pieces), assignment, fc.constantFrom(...pieces)).map((xs) => xs.join("")),
  );

  it("the prefilter never misses what a rule regex matches (decoded and serialized)", () => {
    fc.assert(
      fc.property(assembled, (s) => {
        const fired = RULES.filter((r) => {
          r.regex.lastIndex = 0;
          const hit = r.regex.test(s);
          r.regex.lastIndex = 0;
          return hit;
        });
        if (fired.length === 0) return;
        expect(mayContainSecret(s), `${fired.map((r) => r.id).join(",")}: ${JSON.stringify(s)}`).toBe(true);
        expect(mayContainSecret(JSON.stringify(s)), fired.map((r) => r.id).join(",")).toBe(true);
        // Nested once more, the contract is relative: whatever redactValue would change.
        const nested = { x: JSON.stringify(s) };
        if (redactValue(nested) !== nested) expect(mayContainSecret(JSON.stringify(nested))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("every rule match contains one of the rule's keywords", () => {
    fc.assert(
      fc.property(assembled, (s) => {
        for (const r of RULES) {
          r.regex.lastIndex = 0;
          for (let m = r.regex.exec(s); m !== null; m = r.regex.exec(s)) {
            if (m[0] === "") r.regex.lastIndex++;
            const lower = m[0].toLowerCase();
            expect(r.keywords.some((k) => lower.includes(k)), `${r.id}: ${m[0]}`).toBe(true);
          }
          r.regex.lastIndex = 0;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("a secret-named key is caught by the prefilter whatever its value", () => {
    const name = fc.array(fc.constantFrom("api", "_", "-", ".", "key", "Key", "token", "Token", "secret", "pass", "word", "auth", "x", "access", "Authorization"), { minLength: 1, maxLength: 5 }).map((xs) => xs.join(""));
    fc.assert(
      fc.property(name, fc.stringMatching(/^[A-Za-z0-9#!%+/=_-]{8,30}$/), (key, value) => {
        if (!isSecretName(key) || !looksLikeSecretValue(value, "token")) return;
        const line = JSON.stringify({ wrapper: { [key]: value } });
        expect(mayContainSecret(line), key).toBe(true);
        expect(JSON.stringify(redactValue(JSON.parse(line)))).not.toContain(JSON.stringify(value));
      }),
      { numRuns: 2000 },
    );
  });
});
