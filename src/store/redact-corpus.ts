/**
 * Test corpus for the redactor: secret shapes in the contexts agents put them in, and
 * look-alikes that must survive. Every secret is generated from a seeded generator at
 * run time: no real or even complete-looking credential is stored in the source, so
 * push protection and secret scanners stay quiet about this file.
 *
 * Used by redact.test.ts and available to writer tests that check redaction end to end.
 */

/** A secret embedded in context: `secrets` must vanish from `value`, `keep` must survive. */
export interface SecretCase {
  readonly name: string;
  /** The rule expected to catch the first secret. */
  readonly rule: string;
  readonly secrets: readonly string[];
  /** What the redactor is given: the text itself, or an object carrying it. */
  readonly value: unknown;
  /** The same secret as plain text, for embedding into random structures. */
  readonly text: string;
  readonly keep: readonly string[];
}

export interface LookalikeCase {
  readonly name: string;
  readonly value: unknown;
}

/** mulberry32: small, fast, and the same sequence on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX = "0123456789abcdef";
const B64 = `${ALNUM}+/`;
const B64URL = `${ALNUM}-_`;
const UPPER32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DIGITS = "0123456789";

export class FakeSecrets {
  private readonly next: () => number;
  constructor(seed = 20260722) {
    this.next = seededRandom(seed);
  }
  from(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet.charAt(Math.floor(this.next() * alphabet.length));
    return s;
  }
  /** Random, but with at least one upper, one lower and one digit, as real keys have. */
  alnum(n: number): string {
    for (;;) {
      const s = this.from(ALNUM, n);
      if (/[A-Z]/.test(s) && /[a-z]/.test(s) && /\d/.test(s)) return s;
    }
  }
  hex(n: number): string {
    return this.from(HEX, n);
  }
  b64(n: number): string {
    return this.from(B64, n);
  }
  b64url(n: number): string {
    return this.from(B64URL, n);
  }
  upper32(n: number): string {
    return this.from(UPPER32, n);
  }
  digits(n: number): string {
    return this.from(DIGITS.slice(1), 1) + this.from(DIGITS, n - 1);
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  /** A password as people pick them: letters, digits, a symbol. */
  password(n = 14): string {
    return `${this.alnum(n - 2)}#${this.digits(1)}`;
  }
  pemBody(lines: number): string {
    const out: string[] = [];
    for (let i = 0; i < lines; i++) out.push(this.b64(64));
    return out.join("\n");
  }
}

function b64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** At least 40 secret shapes, each in the context an agent log would show it in. */
export function secretCases(seed = 20260722): SecretCase[] {
  const f = new FakeSecrets(seed);
  const cases: SecretCase[] = [];
  const text = (name: string, rule: string, secrets: string[], body: string, keep: string[]): void => {
    cases.push({ name, rule, secrets, value: body, text: body, keep });
  };
  const obj = (name: string, rule: string, secrets: string[], value: unknown, keep: string[]): void => {
    cases.push({ name, rule, secrets, value, text: JSON.stringify(value), keep });
  };

  const anthropic = `sk-ant-api03-${f.b64url(93)}AA`;
  text("anthropic key exported in a shell command", "anthropic-api-key", [anthropic], `export ANTHROPIC_API_KEY=${anthropic} && claude -p "fix the tests"`, [
    "export ANTHROPIC_API_KEY=",
    ' && claude -p "fix the tests"',
  ]);
  const oauth = `sk-ant-oat01-${f.b64url(90)}`;
  const refresh = `sk-ant-ort01-${f.b64url(90)}`;
  obj(
    "Claude Code OAuth credentials read by a tool",
    "anthropic-api-key",
    [oauth, refresh],
    { tool_name: "Read", result_data: { content: JSON.stringify({ claudeAiOauth: { accessToken: oauth, refreshToken: refresh, expiresAt: 1784000000000 } }, null, 2) } },
    ["claudeAiOauth", "expiresAt", "1784000000000", "Read"],
  );
  const admin = `sk-ant-admin01-${f.b64url(93)}AA`;
  text("Anthropic admin key in a curl header", "anthropic-admin-api-key", [admin], `curl https://api.anthropic.com/v1/organizations/users -H "x-api-key: ${admin}" -H "anthropic-version: 2023-06-01"`, [
    "curl https://api.anthropic.com/v1/organizations/users",
    "anthropic-version: 2023-06-01",
  ]);
  const proj = `sk-proj-${f.b64url(74)}T3BlbkFJ${f.b64url(74)}`;
  text("OpenAI project key in a .env file", "openai-api-key", [proj], `# local settings\nOPENAI_API_KEY=${proj}\nOPENAI_MODEL=gpt-5\nLOG_LEVEL=debug\n`, [
    "# local settings",
    "OPENAI_API_KEY=",
    "OPENAI_MODEL=gpt-5",
    "LOG_LEVEL=debug",
  ]);
  const legacy = `sk-${f.alnum(20)}T3BlbkFJ${f.alnum(20)}`;
  text(
    "OpenAI legacy key in a Python traceback",
    "openai-api-key",
    [legacy],
    `Traceback (most recent call last):\n  File "app.py", line 12, in <module>\n    client.models.list()\nopenai.AuthenticationError: Error code: 401 - Incorrect API key provided: ${legacy}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    ["Traceback (most recent call last)", 'File "app.py", line 12', "Incorrect API key provided: ", "https://platform.openai.com/account/api-keys"],
  );
  const svc = `sk-svcacct-${f.b64url(74)}T3BlbkFJ${f.b64url(74)}`;
  text("OpenAI service-account key in YAML", "openai-api-key", [svc], `llm:\n  provider: openai\n  api_key: ${svc}\n  timeout: 30\n`, ["provider: openai", "api_key: ", "timeout: 30"]);
  const openrouter = `sk-or-v1-${f.hex(64)}`;
  text("OpenRouter key in a fetch call", "openrouter-api-key", [openrouter], `fetch("https://openrouter.ai/api/v1/chat/completions", { headers: { Authorization: "Bearer ${openrouter}" } })`, [
    'fetch("https://openrouter.ai/api/v1/chat/completions"',
    "Authorization: \"Bearer ",
  ]);
  const ghp = `ghp_${f.alnum(36)}`;
  text("GitHub PAT in a git remote URL", "github-pat", [ghp], `$ git remote -v\norigin\thttps://${ghp}@github.com/acme/widgets.git (fetch)\n`, ["$ git remote -v", "origin\thttps://", "@github.com/acme/widgets.git (fetch)"]);
  const gho = `gho_${f.alnum(36)}`;
  text("GitHub OAuth token in gh auth status", "github-oauth", [gho], `github.com\n  ✓ Logged in to github.com account octo (keyring)\n  - Active account: true\n  - Token: ${gho}\n  - Token scopes: 'gist', 'read:org', 'repo'`, [
    "✓ Logged in to github.com account octo (keyring)",
    "- Token: ",
    "- Token scopes: 'gist', 'read:org', 'repo'",
  ]);
  const ghs = `ghs_${f.alnum(36)}`;
  text("GitHub app token as x-access-token", "github-app-token", [ghs], `git push https://x-access-token:${ghs}@github.com/acme/widgets.git HEAD:main`, [
    "git push https://x-access-token:",
    "@github.com/acme/widgets.git HEAD:main",
  ]);
  const ghu = `ghu_${f.alnum(36)}`;
  obj("GitHub user-to-server token in a JSON tool result", "github-app-token", [ghu], { result_data: { stdout: `{"token":"${ghu}","expires_at":"2026-07-23T10:00:00Z"}` } }, [
    "expires_at",
    "2026-07-23T10:00:00Z",
  ]);
  const ghr = `ghr_${f.alnum(76)}`;
  text("GitHub refresh token in a log line", "github-refresh-token", [ghr], `[auth] refreshed installation token, refresh=${ghr} ttl=28800`, ["[auth] refreshed installation token, refresh=", " ttl=28800"]);
  const fine = `github_pat_${f.alnum(22)}_${f.alnum(59)}`;
  text("GitHub fine-grained PAT in a clone command", "github-fine-grained-pat", [fine], `git clone https://oauth2:${fine}@github.com/acme/private.git /tmp/private`, [
    "git clone https://oauth2:",
    "@github.com/acme/private.git /tmp/private",
  ]);
  const glpat = `glpat-${f.b64url(20)}`;
  text("GitLab PAT in a curl header", "gitlab-pat", [glpat], `curl --header "PRIVATE-TOKEN: ${glpat}" "https://gitlab.example.com/api/v4/projects"`, [
    'curl --header "PRIVATE-TOKEN: ',
    '"https://gitlab.example.com/api/v4/projects"',
  ]);
  const xoxb = `xoxb-${f.digits(12)}-${f.digits(13)}-${f.alnum(24)}`;
  text("Slack bot token in a .env body", "slack-bot-token", [xoxb], `SLACK_BOT_TOKEN=${xoxb}\nSLACK_CHANNEL=#deploys`, ["SLACK_BOT_TOKEN=", "SLACK_CHANNEL=#deploys"]);
  const xoxp = `xoxp-${f.digits(12)}-${f.digits(12)}-${f.digits(13)}-${f.hex(32)}`;
  obj("Slack user token in tool params", "slack-user-token", [xoxp], { tool_name: "mcp__slack__post", tool_params: { channel: "C024BE91L", text: "deploy done", auth: xoxp } }, [
    "mcp__slack__post",
    "C024BE91L",
    "deploy done",
  ]);
  const xapp = `xapp-1-A${f.upper32(10)}-${f.digits(13)}-${f.hex(64)}`;
  text("Slack app-level token in a config dump", "slack-app-token", [xapp], `socket_mode: true\napp_token = "${xapp}"\n`, ["socket_mode: true", 'app_token = "']);
  const hook = `T${f.upper32(8)}/B${f.upper32(10)}/${f.alnum(24)}`;
  text("Slack webhook URL in curl", "slack-webhook-url", [hook], `curl -X POST -H 'Content-type: application/json' --data '{"text":"build failed"}' https://hooks.slack.com/services/${hook}`, [
    "curl -X POST -H 'Content-type: application/json'",
    "https://hooks.slack.com/services/",
    '{"text":"build failed"}',
  ]);
  const discord = `${f.digits(18)}/${f.b64url(68)}`;
  text("Discord webhook URL", "discord-webhook-url", [discord], `POST https://discord.com/api/webhooks/${discord} 204 No Content`, ["POST https://discord.com/api/webhooks/", " 204 No Content"]);
  const skLive = `sk_live_${f.alnum(99)}`;
  text(
    "Stripe live key in a Node stack trace",
    "stripe-access-token",
    [skLive],
    `StripeAuthenticationError: Invalid API Key provided: ${skLive}\n    at res.toJSON.then.StripeAPIError.message (node_modules/stripe/cjs/RequestSender.js:105:31)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`,
    ["StripeAuthenticationError: Invalid API Key provided: ", "node_modules/stripe/cjs/RequestSender.js:105:31", "node:internal/process/task_queues:95:5"],
  );
  const rkLive = `rk_live_${f.alnum(40)}`;
  text("Stripe restricted key in code", "stripe-access-token", [rkLive], `const stripe = new Stripe("${rkLive}", { apiVersion: "2024-06-20" });`, ["const stripe = new Stripe(", '{ apiVersion: "2024-06-20" });']);
  const skTest = `sk_test_${f.alnum(48)}`;
  text("Stripe test key in a CLI call", "stripe-access-token", [skTest], `stripe listen --api-key ${skTest} --forward-to localhost:4242/webhook`, ["stripe listen --api-key ", " --forward-to localhost:4242/webhook"]);
  const whsec = `whsec_${f.alnum(32)}`;
  text("Stripe webhook secret in .env", "stripe-webhook-secret", [whsec], `STRIPE_WEBHOOK_SIGNING=${whsec}`, ["STRIPE_WEBHOOK_SIGNING="]);
  const aiza = `AIza${f.b64url(35)}`;
  text("Google API key in a URL query", "gcp-api-key", [aiza], `GET https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=${aiza} -> 200`, [
    "https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=",
    " -> 200",
  ]);
  const ya29 = `ya29.${f.b64url(120)}`;
  text("Google OAuth access token as bearer", "google-oauth-access-token", [ya29], `curl -H "Authorization: Bearer ${ya29}" https://www.googleapis.com/drive/v3/files`, [
    'curl -H "Authorization: Bearer ',
    "https://www.googleapis.com/drive/v3/files",
  ]);
  const akid = `AKIA${f.upper32(16)}`;
  const awsSecret = f.b64(40);
  text("AWS credentials file", "aws-access-token", [akid, awsSecret], `[default]\naws_access_key_id = ${akid}\naws_secret_access_key = ${awsSecret}\nregion = eu-central-1\n`, [
    "[default]",
    "aws_access_key_id = ",
    "aws_secret_access_key = ",
    "region = eu-central-1",
  ]);
  const asia = `ASIA${f.upper32(16)}`;
  const stsSecret = f.b64(40);
  const session = `IQoJb3JpZ2luX2Vj${f.b64(300)}`;
  text(
    "aws sts assume-role output",
    "aws-access-token",
    [asia, stsSecret, session],
    JSON.stringify({ Credentials: { AccessKeyId: asia, SecretAccessKey: stsSecret, SessionToken: session, Expiration: "2026-07-22T11:00:00+00:00" } }, null, 4),
    ['"Credentials"', '"AccessKeyId": "', '"Expiration": "2026-07-22T11:00:00+00:00"'],
  );
  const jwt = `${b64urlJson({ alg: "HS256", typ: "JWT" })}.${b64urlJson({ sub: f.digits(10), name: "Jo Doe", iat: 1784000000 })}.${f.b64url(43)}`;
  obj("JWT in request headers of a tool call", "jwt", [jwt], { tool_name: "WebFetch", tool_params: { url: "https://api.example.com/v1/me", headers: { Authorization: `Bearer ${jwt}`, Accept: "application/json" } } }, [
    "https://api.example.com/v1/me",
    "application/json",
    "Bearer ",
  ]);
  const cookieJwt = `${b64urlJson({ alg: "RS256", kid: f.hex(8) })}.${b64urlJson({ sid: f.hex(16), exp: 1784003600 })}.${f.b64url(86)}`;
  text("JWT in a Set-Cookie header", "jwt", [cookieJwt], `< HTTP/2 200\n< set-cookie: session=${cookieJwt}; Path=/; HttpOnly; Secure\n`, ["< HTTP/2 200", "< set-cookie: session=", "; Path=/; HttpOnly; Secure"]);
  const pemBody = f.pemBody(6);
  const pem = `-----BEGIN PRIVATE KEY-----\n${pemBody}\n-----END PRIVATE KEY-----\n`;
  const serviceAccount = JSON.stringify({ type: "service_account", project_id: "acme-prod", private_key_id: f.hex(40), private_key: pem, client_email: "ci@acme-prod.iam.gserviceaccount.com" });
  obj("GCP service-account JSON printed by cat (PEM with escaped newlines)", "private-key", [pemBody.slice(0, 64), pemBody.slice(-64)], { tool_name: "Bash", result_data: { stdout: serviceAccount } }, [
    '"type":"service_account"',
    '"project_id":"acme-prod"',
    '"client_email":"ci@acme-prod.iam.gserviceaccount.com"',
  ]);
  const sshBody = `b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW${f.b64(60)}`;
  text("OpenSSH private key, truncated by head", "private-key", [sshBody], `$ head -c 200 ~/.ssh/id_ed25519\n-----BEGIN OPENSSH PRIVATE KEY-----\n${sshBody}`, ["$ head -c 200 ~/.ssh/id_ed25519"]);
  const ecBody = f.pemBody(3);
  text("EC private key in a heredoc", "private-key", [ecBody.slice(0, 64)], `cat > key.pem <<'EOF'\n-----BEGIN EC PRIVATE KEY-----\n${ecBody}\n-----END EC PRIVATE KEY-----\nEOF\nchmod 600 key.pem`, [
    "cat > key.pem <<'EOF'",
    "EOF\nchmod 600 key.pem",
  ]);
  const pgPass = f.password(16);
  text("Postgres URL with a password", "password-in-url", [pgPass], `DATABASE_URL=postgres://app_user:${pgPass}@db.internal:5432/app?sslmode=require`, [
    "DATABASE_URL=postgres://app_user:",
    "@db.internal:5432/app?sslmode=require",
  ]);
  const redisPass = f.alnum(24);
  text("Redis URL with an empty user", "password-in-url", [redisPass], `connecting to redis://:${redisPass}@cache.internal:6379/0 ... ok`, ["connecting to redis://:", "@cache.internal:6379/0 ... ok"]);
  const mongoPass = f.password(18);
  obj("MongoDB SRV URL in tool params", "password-in-url", [mongoPass], { tool_name: "Bash", tool_params: { command: `mongosh "mongodb+srv://admin:${mongoPass}@cluster0.ab1cd.mongodb.net/test"` } }, [
    'mongosh "mongodb+srv://admin:',
    '@cluster0.ab1cd.mongodb.net/test"',
  ]);
  const gitPass = f.password(12);
  text("HTTPS git remote with user and password", "password-in-url", [gitPass], `fatal: unable to access 'https://deploy:${gitPass}@gitlab.example.com/acme/app.git/': Could not resolve host`, [
    "fatal: unable to access 'https://deploy:",
    "@gitlab.example.com/acme/app.git/': Could not resolve host",
  ]);
  const mysqlPass = f.password(10);
  text("MySQL URL in Python code", "password-in-url", [mysqlPass], `engine = create_engine("mysql+pymysql://root:${mysqlPass}@localhost/shop")`, ['engine = create_engine("mysql+pymysql://root:', '@localhost/shop")']);
  const dbPassword = f.password(16);
  const jwtSecret = f.hex(64);
  const sessionSecret = f.b64(44);
  text(
    ".env file with generic secrets",
    "generic-api-key",
    [dbPassword, jwtSecret, sessionSecret],
    `NODE_ENV=production\nDB_HOST=db.internal\nDB_PASSWORD=${dbPassword}\nJWT_SECRET=${jwtSecret}\nSESSION_SECRET="${sessionSecret}"\nPORT=3000\n`,
    ["NODE_ENV=production", "DB_HOST=db.internal", "DB_PASSWORD=", "JWT_SECRET=", 'SESSION_SECRET="', "PORT=3000"],
  );
  const webhookToken = f.alnum(32);
  text("exported token in single quotes", "generic-api-key", [webhookToken], `export DEPLOY_WEBHOOK_TOKEN='${webhookToken}'; ./deploy.sh --env prod`, ["export DEPLOY_WEBHOOK_TOKEN='", "'; ./deploy.sh --env prod"]);
  const apiKeyHex = f.hex(32);
  obj("api_key in JSON text inside a tool result", "generic-api-key", [apiKeyHex], { result_data: { stdout: `{\n  "endpoint": "https://api.weather.example/v2",\n  "api_key": "${apiKeyHex}",\n  "units": "metric"\n}` } }, [
    '"endpoint": "https://api.weather.example/v2"',
    '"api_key": "',
    '"units": "metric"',
  ]);
  const clientSecret = `${f.alnum(8)}~${f.alnum(30)}`;
  text("client_secret in YAML", "generic-api-key", [clientSecret], `oauth:\n  client_id: 7f1e8c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b\n  client_secret: ${clientSecret}\n  redirect_uri: http://localhost:8080/callback\n`, [
    "client_id: 7f1e8c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
    "client_secret: ",
    "redirect_uri: http://localhost:8080/callback",
  ]);
  const fieldPassword = f.password(13);
  obj("password field in tool params", "generic-api-key", [fieldPassword], { tool_name: "mcp__db__connect", tool_params: { host: "db.internal", user: "admin", password: fieldPassword, port: 5432 } }, [
    "mcp__db__connect",
    "db.internal",
    "admin",
  ]);
  const camelKey = f.alnum(40);
  obj("apiKey field in a config object", "generic-api-key", [camelKey], { config: { provider: "mistral", apiKey: camelKey, temperature: 0.2 } }, ["mistral", "provider", "apiKey"]);
  const accountKey = `${f.b64(86)}==`;
  text("Azure storage connection string", "generic-api-key", [accountKey], `DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=${accountKey};EndpointSuffix=core.windows.net`, [
    "DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=",
    ";EndpointSuffix=core.windows.net",
  ]);
  const basic = Buffer.from(`deploy:${f.password(14)}`).toString("base64");
  text("Basic auth header in curl", "authorization-header", [basic], `curl -sS -H 'Authorization: Basic ${basic}' https://ci.example.com/api/json`, ["curl -sS -H 'Authorization: Basic ", "' https://ci.example.com/api/json"]);
  const opaque = f.alnum(40);
  text("opaque bearer token in curl", "bearer-token", [opaque], `curl -H "Authorization: Bearer ${opaque}" https://api.vercel.com/v9/projects`, ['curl -H "Authorization: Bearer ', '" https://api.vercel.com/v9/projects']);
  const curlPass = f.password(15);
  text("curl -u user:password", "curl-auth-user", [curlPass], `curl -u admin:${curlPass} https://registry.example.com/v2/_catalog`, ["curl -u admin:", " https://registry.example.com/v2/_catalog"]);
  const flagPass = f.password(12);
  text("--password flag on a CLI", "cli-secret-flag", [flagPass], `mysqldump --user root --password ${flagPass} --databases shop > dump.sql`, ["mysqldump --user root --password ", " --databases shop > dump.sql"]);
  const telegram = `${f.digits(10)}:AA${f.b64url(33)}`;
  text("Telegram bot token in a Bot API URL", "telegram-bot-api-token", [telegram], `requests.post("https://api.telegram.org/bot${telegram}/sendMessage", json={"chat_id": 42, "text": "hi"})`, [
    'requests.post("https://api.telegram.org/bot',
    '/sendMessage", json={"chat_id": 42, "text": "hi"})',
  ]);
  const npm = `npm_${f.alnum(36)}`;
  text(".npmrc with an npm token", "npm-access-token", [npm], `registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${npm}\n`, ["registry=https://registry.npmjs.org/", "//registry.npmjs.org/:_authToken="]);
  const hf = `hf_${f.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 34)}`;
  text("Hugging Face token on a CLI", "huggingface-access-token", [hf], `huggingface-cli login --token ${hf} --add-to-git-credential`, ["huggingface-cli login --token ", " --add-to-git-credential"]);
  const pypi = `pypi-AgEIcHlwaS5vcmc${f.b64url(120)}`;
  text("PyPI upload token in twine", "pypi-upload-token", [pypi], `twine upload -u __token__ -p ${pypi} dist/*`, ["twine upload -u __token__ -p ", " dist/*"]);
  const sendgrid = `SG.${f.b64url(22)}.${f.b64url(43)}`;
  text("SendGrid key in a settings module", "sendgrid-api-token", [sendgrid], `EMAIL_BACKEND = "sendgrid_backend.SendgridBackend"\nSENDGRID_API_KEY = "${sendgrid}"`, [
    'EMAIL_BACKEND = "sendgrid_backend.SendgridBackend"',
    'SENDGRID_API_KEY = "',
  ]);
  const dop = `dop_v1_${f.hex(64)}`;
  text("DigitalOcean token in doctl", "digitalocean-pat", [dop], `doctl auth init --access-token ${dop}`, ["doctl auth init --access-token "]);
  const hvs = `hvs.${f.b64url(95)}`;
  text("Vault token in env", "vault-service-token", [hvs], `VAULT_ADDR=https://vault.internal:8200 VAULT_TOKEN=${hvs} vault kv get secret/app`, ["VAULT_ADDR=https://vault.internal:8200 VAULT_TOKEN=", " vault kv get secret/app"]);
  const shpat = `shpat_${f.hex(32)}`;
  text("Shopify admin token in a header", "shopify-access-token", [shpat], `X-Shopify-Access-Token: ${shpat}`, ["X-Shopify-Access-Token: "]);
  const age = `AGE-SECRET-KEY-1${f.from("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)}`;
  text("age identity file", "age-secret-key", [age], `# created: 2026-07-22T09:50:33Z\n# public key: age1${f.from("qpzry9x8gf2tvdw0s3jn54khce6mua7l", 58)}\n${age}\n`, ["# created: 2026-07-22T09:50:33Z", "# public key: age1"]);
  const glsa = `glsa_${f.alnum(32)}_${f.hex(8)}`;
  text("Grafana service-account token", "grafana-service-account-token", [glsa], `grafana: { url: "https://grafana.example.com", token: "${glsa}" }`, ['grafana: { url: "https://grafana.example.com", token: "']);
  const gsk = `gsk_${f.alnum(52)}`;
  text("Groq key in an error message", "groq-api-key", [gsk], `groq.AuthenticationError: Invalid API Key (key=${gsk})`, ["groq.AuthenticationError: Invalid API Key (key="]);
  return cases;
}

/** Look-alikes: ordinary agent-log content that shares a shape with a secret. */
export function lookalikeCases(seed = 7): LookalikeCase[] {
  const f = new FakeSecrets(seed);
  const sha = f.hex(40);
  const png = `iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAA${f.b64(1800)}AAAAAElFTkSuQmCC`;
  const integrity = `sha512-${f.b64(86)}==`;
  const list: Array<[string, unknown]> = [
    ["git SHA in session_start", { event_type: "session_start", data: { git_head: sha } }],
    ["git log output", `${sha.slice(0, 7)} Fix rotation race (#142)\n${f.hex(7)} Add redactor\ncommit ${f.hex(40)}\nAuthor: Jo Doe <jo@example.com>`],
    ["UUIDs", { attempt_id: "7f3a9c2e-1b4d-4e8f-9a21-0c5d6e7f8a9b", session_id: "5b2f1e0c-3d4a-4b6c-8e9f-a1b2c3d4e5f6" }],
    ["sha256 in a docker path", `/var/lib/docker/overlay2/${f.hex(64)}/diff/usr/lib`],
    ["docker image digest", `ghcr.io/acme/app@sha256:${f.hex(64)}`],
    ["npm integrity", `"node_modules/zod": { "version": "4.6.7", "resolved": "https://registry.npmjs.org/zod/-/zod-4.6.7.tgz", "integrity": "${integrity}" }`],
    ["base64 PNG data URL", `<img src="data:image/png;base64,${png}" alt="logo">`],
    ["getToken call", "const token = getToken();\nconst refreshToken = await auth.refresh(token);"],
    ["password typed in TS", "interface Credentials {\n  username: string;\n  password: string;\n  password2?: string;\n}"],
    ["apiKey undefined", "const config = { apiKey: undefined, baseURL: process.env.BASE_URL };"],
    ["env reference in code", "const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY });"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and CI syntax, quoted on purpose
    ["GitHub Actions secret reference", "      - uses: actions/checkout@v4\n        with:\n          token: ${{ secrets.GITHUB_TOKEN }}\n          fetch-depth: 0"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and CI syntax, quoted on purpose
    ["compose variable", "environment:\n  - API_KEY=${API_KEY}\n  - DB_PASSWORD=$DB_PASSWORD\n  - SECRET_KEY=${SECRET_KEY:-}"],
    ["placeholder sk-...", "OPENAI_API_KEY=sk-...\nANTHROPIC_API_KEY=sk-ant-..."],
    ["YOUR_API_KEY placeholder", 'export STRIPE_SECRET_KEY="YOUR_API_KEY"\nexport GITHUB_TOKEN=<token>'],
    ["bearer placeholder", 'curl -H "Authorization: Bearer <token>" -H "Authorization: Bearer $TOKEN" https://api.example.com'],
    ["xxx placeholders", 'api_key: "xxxxxxxxxxxxxxxx"\npassword: "********"\ntoken: xxx'],
    ["changeme", "POSTGRES_PASSWORD=changeme\nADMIN_PASSWORD=password"],
    ["URLs without credentials", "https://github.com/acme/widgets/pull/142 and postgres://localhost:5432/app and https://user@example.com/path"],
    ["git SSH remote", "git@github.com:acme/widgets.git"],
    ["ssh command", "ssh -p 2222 deploy@10.0.0.5 'systemctl restart app'"],
    ["long camelCase identifier", "export function handleAuthenticationTokenRefreshForWorkspaceSessions(sessionManagerConfiguration) {}"],
    ["Claude message id", { type: "message", id: "msg_01XFDUDYJgAACzvnptvVoYEL", model: "claude-sonnet-4-5" }],
    ["Claude tool use id", { tool_call_id: "toolu_01A09q90qw90lq917835lq9", tool_name: "Bash" }],
    ["request id", "request_id: req_011CRgJ2jQqXkRxwXbbG5y9B"],
    ["ISO timestamps", { timestamp: "2026-07-22T09:50:33.123Z", ended: "2026-07-22T10:02:11+02:00" }],
    ["file path with hex", "/tmp/vitest-3f9a2c1b7e/node_modules/.vite/deps/chunk-5B2F1E0C.js"],
    ["token usage", { usage: { input: 12, output: 340, cache_read: 48000, total_tokens: 48352 }, max_tokens: 4096 }],
    ["token words in code", "import tokenizer from './tokenizer.json';\ntype User = { passwordHash: string; tokenCount: number };"],
    ["--max-tokens flag", "llm --max-tokens 1000 --temperature 0.2 --token-file ~/.config/llm/token"],
    ["key press event", { type: "keypress", key: "Enter", code: "Enter" }],
    ["cache key", 'cache_key = "v1-linux-node20-abc123"\nprimary_key: id42'],
    ["React key prop", "{items.map((item) => <Row key={item.id} {...item} />)}"],
    ["bearer in prose", "Bearer authentication is used by the API; send your bearer token in the header."],
    ["API key error message", "Error: Invalid API key: please check your settings and try again."],
    ["PATH export", "export PATH=/usr/local/bin:$PATH\nPWD=/home/jo/projects/awl"],
    ["boolean secret flags", { secret: false, is_secret: true, has_password: false, sessionToken: null }],
    ["SSH public key", `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${f.b64(43)} jo@laptop`],
    ["public key PEM", `-----BEGIN PUBLIC KEY-----\n${f.pemBody(3)}\n-----END PUBLIC KEY-----`],
    ["certificate PEM", `-----BEGIN CERTIFICATE-----\n${f.pemBody(4)}\n-----END CERTIFICATE-----`],
    ["AWS documentation example key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"],
    ["numeric password field", { password: 12345678, pin: 4321 }],
    ["code that looks for a PEM header", 'if (pem.startsWith("-----BEGIN PRIVATE KEY-----")) return parsePkcs8(pem);'],
    ["long task id with sk-", { task_id: "task-implement-the-redaction-module-for-logs-v2" }],
    ["npm config env", "npm_config_cache=/home/jo/.npm npm_lifecycle_event=test"],
    ["secret name", 'const secretName = "prod/db/password";'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell and CI syntax, quoted on purpose
    ["template token", "Authorization: token ${TOKEN}\nPassword: {{ .Values.password }}"],
    ["vitest output", " ✓ src/store/redact.test.ts (42 tests) 120ms\n Test Files  1 passed (1)\n      Tests  42 passed (42)"],
    ["Python signature", "def login(username: str, password: str) -> Token:\n    token = session.post(url, auth=(username, password))"],
    ["Go struct tag", 'type Login struct {\n\tPassword string `json:"password"`\n\tToken    string `json:"token,omitempty"`\n}'],
    ["k8s secretKeyRef", "valueFrom:\n  secretKeyRef:\n    name: db\n    key: password"],
    ["auth flag", "auth: true\nauth_required: false"],
    ["semver and hashes", "lockfileVersion: 9.0\nversion: 1.2.3\nchecksum: 3f2c9a1b8e7d6c5f4a3b2c1d0e9f8a7b"],
  ];
  return list.map(([name, value]) => ({ name, value }));
}
