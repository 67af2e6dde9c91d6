/**
 * The secret rules the redactor applies, in order.
 *
 * Ids and patterns are adapted from gitleaks' `config/gitleaks.toml` (MIT, see
 * THIRD_PARTY_NOTICES.md) where a gitleaks rule fits; ids gitleaks does not have are
 * awl's own (marked "awl"). Differences from gitleaks, on purpose:
 * - RE2's mid-pattern `(?i)` / `(?-i:…)` do not compile in V8, so case-insensitivity is
 *   spelled out in character classes or moved to the `i` flag.
 * - A redactor prefers recall over precision: fixed lengths are loosened to minimums
 *   where a log may hold a truncated or newer-format token, and gitleaks' trailing
 *   delimiter groups become lookarounds so only the secret is replaced.
 *
 * Invariants the redactor relies on (tested in redact.test.ts):
 * - Every match of `regex` contains one of `keywords` (compared lowercase), so a rule
 *   whose keywords are absent from a string is skipped without running its regex.
 * - The rule's prefilter terms (or, when absent, its keywords) match both the string a
 *   rule would redact and that string's JSON serialization. JSON escaping rewrites `"`,
 *   `\` and control characters as two- or six-character escapes, so a term never relies
 *   on a word boundary or a literal newline, which escaping can change.
 */

/**
 * One alternative of the line prefilter. V8 scans fast only for patterns whose first
 * characters are rare, and slows sharply once an alternation has many different leading
 * letters, so terms start at a punctuation character (`at`) and look back for a prefix
 * (`behind`) and/or forward for the rest (`ahead`), both case-insensitive regex sources.
 * Terms that cannot start at punctuation give a case-sensitive `exact` source instead, and
 * a rule needing two far-apart parts gives `all`: case-sensitive sources that must each
 * match somewhere, tested one after the other (one regex spanning the distance between
 * them would rescan it from every occurrence of the first part).
 */
export type PrefilterTerm =
  | { readonly at: "_" | "-" | "." | ":" | "=" | "\\"; readonly behind?: string; readonly ahead?: string }
  | { readonly exact: string }
  | { readonly all: readonly string[] };

export interface RedactRule {
  readonly id: string;
  /** Lowercase substrings, one of which every match contains. */
  readonly keywords: readonly string[];
  /** Global regex; rules with `secretGroup` also carry the `d` flag for group offsets. */
  readonly regex: RegExp;
  /**
   * The capture group holding the secret: the first group from this one on that took part
   * in the match (alternatives put the same secret in different groups). Without it the
   * whole match is the secret.
   */
  readonly secretGroup?: number;
  /** Minimum Shannon entropy, in bits per character, of the secret. */
  readonly entropy?: number;
  /**
   * Line-prefilter terms. Without them each keyword becomes one: anchored at its final
   * punctuation when it ends in one (`ghp_` is `{ at: "_", behind: "ghp" }`), else at its
   * first (`hooks.slack.com` is `{ at: ".", behind: "hooks", ahead: "slack\\.com" }`).
   */
  readonly prefilter?: readonly PrefilterTerm[];
  /** Last word on a candidate, for shapes a regex cannot judge (placeholders, code, references). */
  readonly validate?: (secret: string, match: RegExpExecArray, input: string) => boolean;
}

// ---------------------------------------------------------------------------
// Shape checks shared by the contextual rules and by the key-based redaction.

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const k of counts.values()) {
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return h;
}

const PLACEHOLDER_WORD =
  /^(?:null|nil|none|undefined|nan|true|false|yes|no|on|off|string|str|text|number|int|integer|bool|boolean|any|object|unknown|bytes|secret|secrets|password|passwd|pass|pwd|token|key|apikey|api_key|changeme|change_me|changeit|example|sample|dummy|placeholder|redacted|hidden|masked|todo|tbd|test|testing|demo|default|empty|required|optional|foo|bar|baz|qux|admin|root|user|username|guest)$/i;
/** Fragments no real secret carries but placeholders, templates and code references do. */
const PLACEHOLDER_PART =
  /\.\.\.|…|xxxx|\*\*\*|<[^>]*>|\{\{|\$\{|\$\(|%\(|\{[\w.]*\}|%[sd]\b|\[redacted|redacted|your[_-]|[_-]here$|example|placeholder|changeme|change[_-]me|process\.env|import\.meta\.env|os\.environ|getenv|environ\[|\bsecrets\.|\benv\.|op:\/\//i;
const ENV_REFERENCE = /^(?:\$[A-Za-z_]\w*|%[A-Za-z_]\w*%|\$\d+|@[A-Za-z_]\w*@)$/;
/** `config.apiKey`, `self.password`, `opts?.token!`: member access, not a value. */
const MEMBER_ACCESS = /^!?[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)+[!;,]?$/;
/** Words, slugs and paths without a digit (`string`, `chai/deep-eql`, `prod/db`): names, not keys. */
const WORDS_ONLY = /^[A-Za-z_./:@\- ]+$/;
const NUMERIC_ONLY = /^[\d_.,:+\- ]+$/;
const VERSION = /^v?\d+(?:\.\d+)+(?:[-+][\w.]+)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const PATH = /^(?:~|\.{1,2})?\/|^[A-Za-z]:\\/;

/**
 * Whether a value found next to a secret-looking name is a real secret rather than code,
 * a type, a reference to one kept elsewhere, or a placeholder. Values without a digit made
 * of letters and `_ . / : @ -` never count: identifiers, types, slugs and paths are far more
 * common there than dictionary-word passwords, which is the price of keeping
 * `password: string` and `token = getToken()` intact.
 */
export function looksLikeSecretValue(value: string, kind: "password" | "token"): boolean {
  const n = value.length;
  if (n < (kind === "password" ? 6 : 8) || n > 1024) return false;
  if (/\s/.test(value)) return false;
  if (WORDS_ONLY.test(value) || NUMERIC_ONLY.test(value)) return false;
  if (PLACEHOLDER_WORD.test(value) || PLACEHOLDER_PART.test(value)) return false;
  if (ENV_REFERENCE.test(value) || MEMBER_ACCESS.test(value)) return false;
  if (VERSION.test(value) || TIMESTAMP.test(value) || PATH.test(value) || value.includes("://")) return false;
  if (value.startsWith("$") || value.startsWith("%") || value.startsWith("-----")) return false;
  if (distinctChars(value) < 4) return false;
  return shannonEntropy(value) >= (kind === "password" ? 2.3 : 2.8);
}

/**
 * Looser check for a password in a URL or `curl -u`: the position alone says "credential",
 * so anything but an empty value, a reference or an obvious placeholder is redacted.
 */
export function looksLikeCredential(value: string): boolean {
  if (value.length === 0) return false;
  if (PLACEHOLDER_WORD.test(value) || PLACEHOLDER_PART.test(value) || ENV_REFERENCE.test(value)) return false;
  if (/^[A-Z]+(?:_[A-Z]+)+$/.test(value)) return false; // YOUR_TOKEN, REDACTED_PASSWORD
  if (/^(.)\1*$/.test(value)) return false; // ***, xxx
  return !value.startsWith("$") && !value.startsWith("%");
}

function distinctChars(s: string): number {
  return new Set(s).size;
}

// ---------------------------------------------------------------------------
// Names that mark the value after them (or under them, as an object key) as secret.

/**
 * Name endings, case-insensitive. Plain `key` is not one: `{ key: "Enter" }`, cache keys and
 * map keys are everywhere in agent logs, while real ones are spelt `API_KEY`, `apiKey`,
 * `x-api-key`, `secretKey`, …
 */
const KEY_PREFIXES =
  "api|access|secret|private|client|auth|signing|encryption|master|license|account|app|service|subscription|admin|deploy|consumer|shared|session|webhook|bot|sdk|project|integration|partner|merchant";
export const SECRET_NAME_SOURCE = `(?:(?:${KEY_PREFIXES})[_.-]?key|[_.-]key|token|secret|passw(?:or)?d|passphrase|pwd|(?<![a-z0-9])pass|(?<![a-z0-9])_?auth|credentials?)`;
/**
 * Prefilter for every rule keyed on `name = value`, and for secret-named object keys, which
 * serialize as `"name":`. The name only has to end in a secret word here (a superset of
 * SECRET_NAME_SOURCE), which keeps the lookbehind short. Anchored on the operator.
 */
// Grouped by last letter, the order a lookbehind reads in: one comparison rejects most names.
const NAME_BEHIND = `(?:key|(?:toke|authorizatio)n|secret|(?:pas|credential)s|(?:(?:pass|p)w|passwor)d|passphrase|auth|credential)(?:\\\\*["'\`])?(?:[ \\t]|\\\\t)*\\??`;
const ASSIGNMENT_PREFILTER: readonly PrefilterTerm[] = [
  { at: ":", behind: NAME_BEHIND },
  { at: "=", behind: NAME_BEHIND },
];
/**
 * Prefilter form of "not preceded by a token character": in serialized JSON the character
 * before may be the tail of an escape (`\n`, `\u001b`) while the decoded one is not.
 */
const NB_PREFILTER = "(?:^|[^a-z0-9]|\\\\[nrtbf]|\\\\u[0-9a-f]{4})";

/** Names that end like a secret but hold something public or structural. */
export const NON_SECRET_NAME =
  /(?:public|pub|primary|foreign|sort|partition|cache|idempotency|hot|index|idx|natural|schema|sequence|row|lookup|unique|composite|hash|range|object|map|storage|i18n|translation|dedupe?|group|routing|shard|cursor|kms|gpg|pgp|dict|react|registry|verify|verification|jwks|ssh[_.-]?public)[_.-]?key$|(?:next|page|continuation|pagination|cursor|sync|cancel(?:lation)?|start|end|eos|bos|pad|unk|sep|cls|mask|special|stop|max|min)[_.-]?token$|^(?:bypass|compass|first[_.-]?pass|second[_.-]?pass|oauth)$/i;

/** Object keys whose string values are secrets (matched against the whole key). */
export const SECRET_KEY = new RegExp(`(?:${SECRET_NAME_SOURCE}|authorization)$`, "i");

export function isSecretName(name: string): boolean {
  return SECRET_KEY.test(name) && !NON_SECRET_NAME.test(name);
}

export function secretKind(name: string): "password" | "token" {
  return /pass|pwd/i.test(name) ? "password" : "token";
}

const NAME_CHAR = /[\w.-]/;

/** The whole identifier a generic match's name ending belongs to (`OPENAI_API_KEY` for `API_KEY`). */
function nameAt(input: string, start: number, suffix: string): string {
  let i = start;
  while (i > 0 && NAME_CHAR.test(input[i - 1] ?? "")) i--;
  return input.slice(i, start) + suffix;
}

// ---------------------------------------------------------------------------
// Regex pieces.

/** Not preceded by a token character, so a prefix is not found inside a longer identifier. */
const NB = "(?<![A-Za-z0-9])";
/** Not followed by a token character: the token ends here. */
const NA = "(?![A-Za-z0-9])";
/** Assignment operators in env files, YAML, JSON, code and CLI `--flag=`. */
const ASSIGN = `(?:\\\\?["'\`])?[ \\t]*(?:=>|:=|\\?=|==?|:(?!:))[ \\t]*`;
/** A value: double-, single- or back-quoted (possibly JSON-escaped quotes), or bare. */
const VALUE = `(?:\\\\?"([^"\\r\\n]{1,512}?)(?:\\\\?"|$)|\\\\?'([^'\\r\\n]{1,512}?)(?:\\\\?'|$)|\`([^\`\\r\\n]{1,512}?)(?:\`|$)|([^\\s"'\`\\\\,;&()<>{}\\[\\]|]{1,512}))`;

function re(source: string, flags = "g"): RegExp {
  return new RegExp(source, flags);
}

/** A fixed-prefix token rule: cheap, precise, and gated by its prefix. */
function token(
  id: string,
  prefix: string,
  body: string,
  opts: { entropy?: number; flags?: string; boundary?: boolean; keyword?: string; prefilter?: readonly PrefilterTerm[] } = {},
): RedactRule {
  const lead = opts.boundary === false ? "" : NB;
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
  const rule: RedactRule = {
    id,
    keywords: [opts.keyword ?? prefix.toLowerCase()],
    regex: re(`${lead}${escaped}${body}${NA}`, opts.flags ?? "g"),
    ...(opts.entropy !== undefined ? { entropy: opts.entropy } : {}),
    ...(opts.prefilter !== undefined ? { prefilter: opts.prefilter } : {}),
  };
  return rule;
}

// ---------------------------------------------------------------------------
// The rules. Order matters: whole blocks first (a PEM body can contain anything), then
// fixed-prefix tokens, then the contextual rules, which skip values already redacted.

export const RULES: readonly RedactRule[] = [
  {
    // gitleaks private-key. Body: base64 lines, encrypted-PEM headers, real or escaped
    // newlines (`\n` once or more for JSON nested in JSON). END is optional so a truncated
    // block is still caught; without END the body runs to the first character a PEM body
    // cannot hold.
    id: "private-key",
    keywords: ["-----begin"],
    prefilter: [{ at: "-", ahead: "----begin" }],
    regex: re(
      "-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/= \\t\\r\\n:,]|\\\\+[nrt/]|-(?!----))*(?:-----END[ A-Z0-9_-]{0,100}-----)?",
      "gi",
    ),
    // A header alone (code testing for it, docs naming it) is not a key: demand a run of
    // base64 as long as a third of a PEM line.
    validate: (secret) => /[A-Za-z0-9+/=]{20,}/.test(secret.replace(/^-----BEGIN[^\n]*?-----/i, "").replace(/\\+[nrt/]/g, " ")),
  },
  token("1password-service-account-token", "ops_eyJ", "[A-Za-z0-9+/]{100,}={0,3}", { entropy: 4 }),
  token("anthropic-admin-api-key", "sk-ant-admin01-", "[\\w-]{20,}", { entropy: 3 }),
  // gitleaks pins api03 and 93 chars + "AA"; OAuth (oat01) and refresh (ort01) tokens that
  // Claude Code handles share the prefix, and logs may truncate.
  token("anthropic-api-key", "sk-ant-", "[a-z]{2,8}\\d{0,3}-[\\w-]{20,}", { entropy: 3 }),
  token("openrouter-api-key", "sk-or-v1-", "[0-9a-f]{32,}", { entropy: 3 }), // awl
  {
    // gitleaks openai-api-key keys on the "T3BlbkFJ" marker; project, service-account and
    // admin keys and older formats are matched by prefix, and the mixed-case check keeps
    // kebab-case words that happen to start with "sk-" out.
    id: "openai-api-key",
    keywords: ["sk-"],
    regex: re(`${NB}sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,}`),
    // "task-…" ids are in every event: demand the boundary.
    prefilter: [{ at: "-", behind: `${NB_PREFILTER}sk` }],
    entropy: 3.5,
    validate: (s) => /\d/.test(s) && /[A-Z]/.test(s) && /[a-z]/.test(s),
  },
  token("github-pat", "ghp_", "[0-9A-Za-z]{30,}", { entropy: 3 }),
  token("github-oauth", "gho_", "[0-9A-Za-z]{30,}", { entropy: 3 }),
  { ...token("github-app-token", "ghu_", "[0-9A-Za-z]{30,}", { entropy: 3 }), keywords: ["ghu_", "ghs_"], regex: re(`${NB}gh[us]_[0-9A-Za-z]{30,}${NA}`) },
  token("github-refresh-token", "ghr_", "[0-9A-Za-z]{30,}", { entropy: 3 }),
  token("github-fine-grained-pat", "github_pat_", "\\w{40,}", { entropy: 3 }),
  token("gitlab-pat", "glpat-", "[\\w-]{20,}", { entropy: 3 }),
  token("gitlab-deploy-token", "gldt-", "[\\w-]{20,}", { entropy: 3 }),
  token("gitlab-runner-authentication-token", "glrt-", "[\\w-]{20,}", { entropy: 3 }),
  token("gitlab-ptt", "glptt-", "[0-9a-f]{40}", { entropy: 3 }),
  token("slack-bot-token", "xoxb-", "[0-9A-Za-z-]{20,}", { entropy: 2 }),
  { ...token("slack-user-token", "xoxp-", "[0-9A-Za-z-]{20,}", { entropy: 2 }), keywords: ["xoxp-", "xoxe-"], regex: re(`${NB}xox[pe]-[0-9A-Za-z-]{20,}${NA}`) },
  {
    ...token("slack-legacy-token", "xoxa-", "[0-9A-Za-z-]{20,}", { entropy: 2 }),
    keywords: ["xoxa-", "xoxo-", "xoxr-", "xoxs-"],
    regex: re(`${NB}xox[aors]-[0-9A-Za-z-]{20,}${NA}`),
  },
  token("slack-app-token", "xapp-", "\\d-[A-Za-z0-9]+-\\d+-[A-Za-z0-9]+", { entropy: 2 }),
  {
    // Keep the host so the reader sees which webhook it was; the path is the secret.
    id: "slack-webhook-url",
    keywords: ["hooks.slack.com"],
    regex: re("hooks\\.slack\\.com/(?:services|workflows|triggers)/([A-Za-z0-9+/]{20,})", "gd"),
    secretGroup: 1,
  },
  {
    id: "discord-webhook-url", // awl
    keywords: ["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"],
    regex: re("discord(?:app)?\\.com/api/webhooks/(\\d{5,25}/[\\w-]{30,})", "gdi"),
    secretGroup: 1,
  },
  {
    id: "stripe-access-token",
    keywords: ["sk_test_", "sk_live_", "sk_prod_", "rk_test_", "rk_live_", "rk_prod_"],
    regex: re(`${NB}[sr]k_(?:test|live|prod)_[A-Za-z0-9]{10,99}${NA}`),
    entropy: 2,
  },
  token("stripe-webhook-secret", "whsec_", "[A-Za-z0-9+/]{24,}={0,2}", { entropy: 3 }), // awl
  token("gcp-api-key", "AIza", "[\\w-]{35}", { entropy: 3.5, prefilter: [{ exact: "AIza" }] }),
  token("google-oauth-access-token", "ya29.", "[\\w-]{20,}", { entropy: 3 }), // awl
  token("google-oauth-client-secret", "GOCSPX-", "[\\w-]{24,}", { entropy: 3 }), // awl
  {
    id: "aws-access-token",
    keywords: ["a3t", "akia", "asia", "abia", "acca"],
    regex: re(`${NB}(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}${NA}`),
    prefilter: [{ exact: "A(?:3T[A-Z0-9]|KIA|SIA|BIA|CCA)[A-Z2-7]{16}" }],
    entropy: 3,
    validate: (s) => !s.endsWith("EXAMPLE"),
  },
  {
    // awl: gitleaks dropped its AWS secret rule (40 base64 chars alone are not distinctive);
    // next to its well-known names the value is unambiguous.
    id: "aws-secret-access-key",
    keywords: ["secret_access_key", "secretaccesskey", "secret-access-key", "secret.access.key"],
    regex: re(`secret[_.-]?access[_.-]?key${ASSIGN}\\\\?["'\`]?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])`, "gdi"),
    secretGroup: 1,
    prefilter: ASSIGNMENT_PREFILTER,
    entropy: 3,
  },
  {
    id: "jwt",
    keywords: ["eyj"],
    regex: re("(?<![\\w-])eyJ[\\w-]{10,}\\.eyJ[\\w-]{10,}\\.[\\w-]*"),
    prefilter: [{ at: ".", behind: "eyj[\\w-]{10,}", ahead: "eyj" }],
    entropy: 3,
  },
  {
    // gitleaks requires "telegr" nearby; the digits:"AA"+33 shape is distinctive alone.
    id: "telegram-bot-api-token",
    keywords: [":aa"],
    // Not NB: the Bot API puts the token straight after "bot" (`/bot123456:AA…/sendMessage`).
    regex: re("(?<!\\d)\\d{5,16}:AA[\\w-]{33}(?![\\w-])"),
    prefilter: [{ at: ":", ahead: "aa[\\w-]{33}" }],
  },
  token("npm-access-token", "npm_", "[A-Za-z0-9]{36}", { entropy: 2, flags: "gi" }),
  token("huggingface-access-token", "hf_", "[A-Za-z0-9]{34}", { entropy: 2.5 }),
  token("huggingface-organization-api-token", "api_org_", "[A-Za-z0-9]{34}", { entropy: 2.5 }),
  token("pypi-upload-token", "pypi-AgEIcHlwaS5vcmc", "[\\w-]{50,}", { entropy: 3 }),
  { ...token("sendgrid-api-token", "SG.", "[\\w-]{22}\\.[\\w-]{43}", { entropy: 2 }), prefilter: [{ at: ".", behind: "sg", ahead: "[\\w-]{22}\\." }] },
  token("digitalocean-pat", "dop_v1_", "[a-f0-9]{64}", { entropy: 3 }),
  token("digitalocean-access-token", "doo_v1_", "[a-f0-9]{64}", { entropy: 3 }),
  token("digitalocean-refresh-token", "dor_v1_", "[a-f0-9]{64}", { entropy: 3 }),
  token("shopify-access-token", "shpat_", "[a-fA-F0-9]{32}", { entropy: 2 }),
  token("shopify-custom-access-token", "shpca_", "[a-fA-F0-9]{32}", { entropy: 2 }),
  token("shopify-private-app-access-token", "shppa_", "[a-fA-F0-9]{32}", { entropy: 2 }),
  token("shopify-shared-secret", "shpss_", "[a-fA-F0-9]{32}", { entropy: 2 }),
  token("linear-api-key", "lin_api_", "[A-Za-z0-9]{40}", { entropy: 2 }),
  token("postman-api-token", "PMAK-", "[a-fA-F0-9]{24}-[a-fA-F0-9]{34}", { entropy: 3 }),
  token("pulumi-api-token", "pul-", "[a-f0-9]{40}", { entropy: 2 }),
  token("planetscale-api-token", "pscale_tkn_", "[\\w=.-]{32,64}", { entropy: 3 }),
  token("planetscale-password", "pscale_pw_", "[\\w=.-]{32,64}", { entropy: 3 }),
  token("planetscale-oauth-token", "pscale_oauth_", "[\\w=.-]{32,64}", { entropy: 3 }),
  token("vault-service-token", "hvs.", "[\\w-]{90,120}", { entropy: 3.5 }),
  token("vault-batch-token", "hvb.", "[\\w-]{138,300}", { entropy: 4 }),
  token("age-secret-key", "AGE-SECRET-KEY-1", "[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
  token("sentry-user-token", "sntryu_", "[a-f0-9]{64}", { entropy: 3.5 }),
  token("sentry-org-token", "sntrys_", "eyJ[A-Za-z0-9+/=_]{50,}", { entropy: 4 }),
  token("grafana-service-account-token", "glsa_", "[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}", { entropy: 3 }),
  token("grafana-cloud-api-token", "glc_", "[A-Za-z0-9+/]{32,400}={0,3}", { entropy: 3 }),
  token("heroku-api-key-v2", "HRKU-AA", "[\\w-]{58}", { entropy: 4 }),
  token("notion-api-token", "ntn_", "\\d{11}[A-Za-z0-9]{35}", { entropy: 4 }),
  token("perplexity-api-key", "pplx-", "[A-Za-z0-9]{48}", { entropy: 4 }),
  token("databricks-api-token", "dapi", "[a-f0-9]{32}(?:-\\d)?", { entropy: 3, prefilter: [{ exact: "dapi[a-f0-9]{32}" }] }),
  token("doppler-api-token", "dp.pt.", "[A-Za-z0-9]{43}", { entropy: 2 }),
  token("rubygems-api-token", "rubygems_", "[a-f0-9]{48}", { entropy: 2 }),
  token("groq-api-key", "gsk_", "[A-Za-z0-9]{52}", { entropy: 3 }), // awl
  token("xai-api-key", "xai-", "[A-Za-z0-9]{70,}", { entropy: 3 }), // awl
  {
    // awl. `scheme://user:password@host`: keep the user and host, drop the password.
    // Userinfo cannot hold `/`, so `https://host/pkg@1.0` and `git@github.com:o/r` never match.
    id: "password-in-url",
    keywords: ["://"],
    regex: re("\\b[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\\s:@/\"'`<>\\[\\]]*:([^\\s@/\"'`<>\\[\\]]{1,256})@", "gd"),
    secretGroup: 1,
    // The user part stops at the first colon, like the rule's: `[^…]*:[^…]*@` over
    // "a:a:a:…" would backtrack quadratically.
    prefilter: [{ at: ":", ahead: '\\/\\/[^\\s\\/@":]*:[^\\s\\/@"]*@' }],
    validate: (s) => looksLikeCredential(s) && !/^\d{1,5}$/.test(s), // host:port@… is not a password
  },
  {
    // gitleaks curl-auth-user: `curl -u user:password`.
    id: "curl-auth-user",
    keywords: ["curl"],
    // Bounded distances keep many "curl"s or "-u"s in one string from costing n².
    regex: re("\\bcurl\\b[^\\n]{0,1000}?[ \\t](?:-u|--user)(?:=|[ \\t]+)\\\\?[\"']?[^\\s:\"'\\\\]*:([^\\s\"'\\\\]{1,256})", "gd"),
    secretGroup: 1,
    prefilter: [{ all: ["curl", "-(?:u|-user)(?:[ \\t=]|\\\\t)"] }],
    validate: looksLikeCredential,
  },
  {
    // awl (GitHub secret scanning's "HTTP bearer authentication header"): keep the scheme.
    id: "bearer-token",
    keywords: ["bearer"],
    prefilter: [{ exact: "[Bb]earer|BEARER" }],
    // The casings people write; matching any mix would put a letter-led alternation in the prefilter.
    regex: re("\\b(?:[Bb]earer|BEARER)[ \\t]+([A-Za-z0-9._~+/-]{8,}=*)", "gd"),
    secretGroup: 1,
    validate: (s) => looksLikeSecretValue(s, "token"),
  },
  {
    id: "authorization-header", // awl
    keywords: ["authorization"],
    regex: re(
      `\\b(?:proxy-)?authorization${ASSIGN}\\\\?["'\`]?[ \\t]*(?:(basic|bearer|token|digest|apikey|api-key|key|sso-key|negotiate|ntlm|hmac|gitlab-token)[ \\t]+)?([A-Za-z0-9._~+/-]{8,}=*)`,
      "gdi",
    ),
    secretGroup: 2,
    prefilter: ASSIGNMENT_PREFILTER,
    // Basic's base64 is often letters only, so after "Basic" the position decides; a
    // bearer-like token, or a bare value, must look random.
    validate: (s, m) => (m[1]?.toLowerCase() === "basic" ? looksLikeCredential(s) : looksLikeSecretValue(s, "token")),
  },
  {
    // awl: `--password hunter2`, `--api-key sk…` (the `--flag=value` form is generic-api-key's).
    id: "cli-secret-flag",
    keywords: ["--"],
    regex: re(
      "(?<![\\w-])--(?=[a-z])([\\w-]{0,40}?(?:password|passwd|passphrase|token|secret|api-key|apikey|access-key|secret-key|private-key|auth-key))[ \\t]+(?:\\\\?[\"'])?([^\\s\"'\\\\-][^\\s\"'\\\\]{0,255})",
      "gdi",
    ),
    secretGroup: 2,
    prefilter: [{ at: "-", ahead: "-(?=[a-z])[\\w-]{0,40}?(?:pass(?:word|wd|phrase)|token|secret|key)(?:[ \\t]|\\\\t)" }],
    validate: (secret, m) => {
      const name = m[1] ?? "";
      return !NON_SECRET_NAME.test(name) && looksLikeSecretValue(secret, secretKind(name));
    },
  },
  {
    // gitleaks generic-api-key, reshaped: the name must end in a secret word and be followed
    // by an assignment; the value must look random (looksLikeSecretValue), which is what
    // gitleaks' entropy threshold and stopwords are for.
    id: "generic-api-key",
    keywords: ["key", "token", "secret", "pass", "pwd", "auth", "credential"],
    regex: re(`(${SECRET_NAME_SOURCE})${ASSIGN}${VALUE}`, "gdi"),
    secretGroup: 2,
    prefilter: ASSIGNMENT_PREFILTER,
    validate: (secret, m, input) => {
      const name = nameAt(input, m.index, m[1] ?? "");
      return !NON_SECRET_NAME.test(name) && looksLikeSecretValue(secret, secretKind(name));
    },
  },
];

/** Id used for values redacted because of the object key they sit under. */
export const SECRET_FIELD_RULE = "generic-api-key";
export const AUTHORIZATION_FIELD_RULE = "authorization-header";

/**
 * Terms that send a serialized line down the slow path although no rule keyword is visible:
 * escapes JSON.stringify never writes but other serializers do (`\u0022`, `\/`), which
 * could hide a keyword's or an assignment's characters.
 */
export const FOREIGN_ESCAPE_PREFILTER: PrefilterTerm = { at: "\\", ahead: "(?:u00[2-7][0-9a-f]|/)" };
