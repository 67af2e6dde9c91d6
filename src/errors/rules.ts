/**
 * The rule table of known failures, most specific first: the first rule that matches wins.
 *
 * Each rule's `id` is the stable fingerprint name stored in every error event and alert:
 * renaming one splits history in two, so rename only with a migration. A regex with a named
 * group `code` appends it (`typescript_error` + TS2322 → `typescript_error_ts2322`).
 * Rules with `group: "template"` only classify: their failures keep the template
 * fingerprint (`tmpl_…`), because one name would merge unrelated exceptions.
 *
 * Every regex here is matched against at most HEAD_CHARS + TAIL_CHARS characters, and none
 * nests quantifiers: gaps are bounded (`[^\n]{0,80}`), so matching stays linear.
 *
 * Decisions worth knowing:
 * - ETIMEDOUT, "Connection timed out" are `network` (a socket that never connected);
 *   `timeout` is a command, test or request that ran too long. `npm install` timeouts are
 *   the seed's `npm_install_timeout`/dependency.
 * - "Cannot find module 'x'": a bare package name is `dependency` (`node_module_not_found`),
 *   a relative or absolute path is `file_not_found` (`import_path_not_found`).
 *   TypeScript's TS2307 stays `type_check` (the typescript rule comes first).
 * - Quota, usage limits and exhausted credit are `rate_limit` (`quota_exceeded`): the
 *   remedy is the same, wait or raise the limit.
 * - A provider's 400 (invalid request, bad max_tokens) is `agent`: the client sent it.
 * - rustc's `error[E0308]` is `build` (`rustc_error_e0308`), like the rest of a failed build.
 * - "Killed" / exit 137 is `out_of_memory`: it is nearly always the OOM killer.
 */
import type { ErrorCategory } from "../schema/vocabulary.js";

export interface ErrorRule {
  readonly id: string;
  readonly category: ErrorCategory;
  readonly match: RegExp | ((text: string) => boolean);
  /** "template": classify only; the fingerprint stays the template hash. */
  readonly group?: "template";
}

const MODULE_SPECIFIER =
  /(?:Cannot find (?:module|package)|Can't resolve|Could not resolve|Failed to resolve (?:import|module)|Unable to resolve module|Rollup failed to resolve import) ['"`]([^'"`\n]{1,300})['"`]/i;

let lastText: string | undefined;
let lastSpecifier: string | undefined;

/** Both module rules ask for the same text in a row: look it up once. */
function moduleSpecifier(text: string): string | undefined {
  if (text !== lastText) {
    lastText = text;
    lastSpecifier = MODULE_SPECIFIER.exec(text)?.[1];
  }
  return lastSpecifier;
}

function isPathSpecifier(spec: string): boolean {
  return /^(?:\.{1,2}(?:[\\/]|$)|[\\/]|~[\\/]|[A-Za-z]:[\\/]|file:)/.test(spec);
}

export const RULES: readonly ErrorRule[] = [
  // --- the agent's own tools and guards ---------------------------------------------------
  { id: "agent_tool_rejected", category: "agent", match: /doesn't want to proceed with this tool use|tool use was rejected|rejected by (?:the )?user|User refused permission/i },
  { id: "agent_permission_not_granted", category: "agent", match: /requested permissions? to (?:use|write|read|edit)[^\n]{0,120}haven't granted/i },
  { id: "agent_loop_detected", category: "agent", match: /\bloop detected\b/i },
  { id: "edit_file_not_read", category: "agent", match: /File has not been read yet|has not been read in this session|must read the file[^\n]{0,200}before (?:overwriting|writing|editing)|File must be read first/i },
  { id: "edit_file_modified_since_read", category: "agent", match: /File has been (?:unexpectedly )?modified since (?:it was )?read/i },
  { id: "edit_string_not_found", category: "agent", match: /String to replace not found|0 occurrences found for old_string|Failed to edit, could not find|could not find (?:the )?(?:string|text) to replace|Failed to find expected lines|old_string (?:was )?not found/i },
  { id: "edit_string_ambiguous", category: "agent", match: /Found \d+ matches of the string to replace|Expected 1 occurrence but found \d+/i },
  { id: "read_file_too_large", category: "agent", match: /File content \([^)\n]{1,30}\) exceeds maximum allowed (?:size|tokens)/i },
  { id: "sibling_tool_call_errored", category: "agent", match: /Sibling tool call errored/i },
  { id: "tool_input_invalid", category: "agent", match: /InputValidationError|required parameter `?\w{1,40}`? is missing|Invalid tool parameters/i },
  { id: "unknown_tool", category: "agent", match: /No such tool available/i },
  { id: "max_turns_reached", category: "agent", match: /error_max_turns|Reached max(?:imum)? (?:number of )?turns|max(?:imum)? (?:session )?turns (?:limit )?reached/i },
  { id: "exec_stdin_closed", category: "agent", match: /stdin is closed for this session/i },
  { id: "interrupted_by_user", category: "agent", match: /\[Request interrupted by user|Interrupted by user|Operation aborted by user/i },
  { id: "output_token_limit_exceeded", category: "agent", match: /response exceeded the \d+ output token maximum|exceeded the max(?:imum)? output tokens/i },

  // --- model provider: context, credentials, limits, outages --------------------------------
  { id: "context_window_exceeded", category: "context_window", match: /prompt is too long|context_length_exceeded|maximum context length|exceeds? the context window|context window (?:is )?(?:exceeded|full)|out of room in the model's context window|input token count[^\n]{0,40}exceeds the maximum|exceed_context_size|exceeds the available context size|Input is too long|reduce the length of the messages|Conversation too long/i },
  { id: "api_key_missing", category: "api_key", match: /Could not resolve authentication method|No API key (?:available|found|provided)|Missing API key|api[ _-]?key (?:is )?(?:required|missing|not set|not found)|api_key_required|(?:ANTHROPIC|OPENAI|GEMINI|GOOGLE)_API_KEY (?:is )?(?:not set|missing|required|environment variable is not set)|must specify the GEMINI_API_KEY/i },
  { id: "auth_token_expired", category: "api_key", match: /OAuth token (?:has )?expired|token (?:has )?expired[^\n]{0,40}(?:log ?in|refresh|obtain)/i },
  { id: "api_key_invalid", category: "api_key", match: /invalid x-api-key|Incorrect API key provided|API key not valid|API Key not found|API_KEY_INVALID|invalid[ _-]api[ _-]?key|Invalid API key|authentication_error|authentication_failed|invalid bearer token|\b401\b[^\n]{0,20}Unauthori[sz]ed|status(?: code)?:? 401\b|Error(?: code)?:? \(?401\b/i },
  { id: "quota_exceeded", category: "rate_limit", match: /insufficient_quota|exceeded your current quota|quota exceeded|Quota exceeded for|RESOURCE_EXHAUSTED|Resource (?:has been )?exhausted|credit balance is too low|usage limit|hit your (?:usage )?limit|billing_error/i },
  { id: "rate_limited", category: "rate_limit", match: /rate_limit_error|rate_limit_exceeded|rateLimitExceeded|RateLimitError|rate[ -]?limit|Too Many Requests|(?:status|code|error|Error)\W{0,3}429\b|\(429\b|\b429 (?:Too Many|\{)/i },
  { id: "provider_overloaded", category: "provider", match: /overloaded_error|\bOverloaded\b|(?:is|are) (?:currently |temporarily )?overloaded|^overloaded$|(?:API Error|status|code)\W{0,3}529\b|\b529 (?:Overloaded|\{)|experiencing high demand/m },
  { id: "provider_server_error", category: "provider", match: /API Error:? \(?5\d\d\b|unexpected status 5\d\d|"type":\s*"api_error"|internal_server_error|InternalServerError|Attempt \d+ failed with status 5\d\d|"code":\s*5\d\d|got status: (?:INTERNAL|UNAVAILABLE)|"status":\s*"(?:UNAVAILABLE|INTERNAL)"/ },
  { id: "provider_stream_disconnected", category: "provider", match: /stream disconnected before completion|stream closed before response\.completed|Model stream ended with an invalid chunk|error decoding response body/i },
  { id: "provider_retry", category: "provider", match: /Reconnecting\.\.\. \d+\/\d+|retrying \d+\/\d+ in|Retrying in \d+ seconds?…? \(attempt \d+\/\d+\)/i },
  { id: "api_invalid_request", category: "agent", match: /invalid_request_error|INVALID_ARGUMENT|max_tokens: \d+ > \d+|API Error:? \(?400\b|unexpected status 400\b/ },

  // --- git -----------------------------------------------------------------------------------
  { id: "git_not_repo", category: "git", match: /\bnot a git repository\b/i },
  { id: "git_dubious_ownership", category: "git", match: /detected dubious ownership in repository/i },
  { id: "git_merge_conflict", category: "merge_conflict", match: /CONFLICT \([\w/ -]{1,40}\): |Automatic merge failed|Merge conflict in |fix conflicts and then commit|you have unmerged (?:paths|files)|needs merge\b|Resolve all conflicts manually|could not apply [0-9a-f]{7,40}/i },
  { id: "git_auth_failed", category: "git", match: /Permission denied \(publickey|Authentication failed for|could not read Username for|Host key verification failed|The requested URL returned error: 40[13]|Invalid username or password|Support for password authentication was removed/i },
  { id: "git_remote_not_found", category: "git", match: /does not appear to be a git repository|No such remote\b|repository '[^'\n]{1,300}' not found|Could not read from remote repository/i },
  { id: "git_push_failed", category: "git", match: /failed to push some refs|! \[(?:remote )?rejected\]|Updates were rejected because|pre-receive hook declined|protected branch hook declined/i },
  { id: "git_no_upstream", category: "git", match: /has no upstream branch|no upstream configured|There is no tracking information for the current branch/i },
  { id: "git_index_locked", category: "git", match: /index\.lock'?: File exists|Another git process seems to be running/i },
  { id: "git_pathspec_not_found", category: "git", match: /pathspec '[^'\n]{1,300}' did not match any file|did not match any file\(s\) known to git/i },
  { id: "git_nothing_to_commit", category: "git", match: /nothing to commit, working tree clean|nothing added to commit|no changes added to commit/i },
  { id: "git_local_changes_overwritten", category: "git", match: /local changes to the following files would be overwritten|untracked working tree files would be overwritten|Please commit your changes or stash them/i },
  { id: "git_unknown_ref", category: "git", match: /unknown revision or path not in the working tree|not a valid object name|couldn't find remote ref|invalid reference: /i },
  { id: "git_identity_unknown", category: "git", match: /Please tell me who you are|unable to auto-detect email address/i },

  // --- dependencies --------------------------------------------------------------------------
  { id: "npm_install_timeout", category: "dependency", match: /npm (?:ERR!|error) (?:code |errno )?(?:ETIMEDOUT|ESOCKETTIMEDOUT|ERR_SOCKET_TIMEOUT)\b|npm (?:ERR!|error) network[^\n]{0,160}(?:ETIMEDOUT|timed out)|(?:npm|yarn|pnpm) (?:install|ci|add|i)\b[^\n]{0,80}(?:timed out|ETIMEDOUT)/i },
  { id: "npm_eresolve", category: "dependency", match: /ERESOLVE|Could not resolve dependency|unable to resolve dependency tree|conflicting peer dependency/i },
  { id: "npm_package_not_found", category: "dependency", match: /npm (?:ERR!|error) (?:code )?E404\b|404 Not Found - GET https?:\/\/registry|is not in (?:the|this) registry|No matching version found for|npm (?:ERR!|error) (?:code )?ETARGET\b/i },
  { id: "npm_lockfile_out_of_sync", category: "dependency", match: /can only install packages when your package\.json and package-lock\.json|ERR_PNPM_OUTDATED_LOCKFILE|lockfile[^\n]{0,40}(?:out of sync|needs to be updated|is not up to date)/i },
  { id: "pip_no_matching_distribution", category: "dependency", match: /No matching distribution found|Could not find a version that satisfies the requirement|ResolutionImpossible/i },
  { id: "python_module_not_found", category: "dependency", match: /No module named\b/ },
  { id: "go_module_missing", category: "dependency", match: /no required module provides package|missing go\.sum entry|cannot find package "/ },
  { id: "cargo_dependency_failed", category: "dependency", match: /failed to select a version for|no matching package named|failed to load source for dependency/ },

  // --- type checkers -------------------------------------------------------------------------
  { id: "typescript_error", category: "type_check", match: /\b(?<code>TS\d{4,5}):|Unable to compile TypeScript/ },
  { id: "mypy", category: "type_check", match: /: error: [^\n]{1,400}\s\s\[(?<code>[a-z][a-z-]{1,40})\]$|^Found \d+ errors? in \d+ files? \(checked \d+ source files?\)|: error: Incompatible (?:types|return value)|has incompatible type/m },
  { id: "pyright_error", category: "type_check", match: /\(report[A-Z][A-Za-z]{3,60}\)/ },
  { id: "go_type_error", category: "type_check", match: /cannot use [^\n]{1,200} as [^\n]{1,100} value in|invalid operation: [^\n]{1,200}\(mismatched types/ },

  // Before the generic "not found" rules: these name a missing package, not a missing file.
  { id: "node_module_not_found", category: "dependency", match: (t) => { const s = moduleSpecifier(t); return s !== undefined && !isPathSpecifier(s); } },
  { id: "import_path_not_found", category: "file_not_found", match: (t) => { const s = moduleSpecifier(t); return s !== undefined && isPathSpecifier(s); } },

  // --- linters -------------------------------------------------------------------------------
  { id: "eslint_errors", category: "lint", match: /\b\d+ problems? \(\d+ errors?, \d+ warnings?\)/ },
  { id: "clippy_errors", category: "lint", match: /clippy::|rust-clippy/ },
  { id: "ruff_errors", category: "lint", match: /^Found \d+ errors?\.$|^\[\*\] \d+ fixable with the `--fix` option/m },
  { id: "python_lint_errors", category: "lint", match: /\.py:\d+:\d+: [EFWCN]\d{3} |Your code has been rated at/ },
  { id: "golangci_lint_errors", category: "lint", match: /golangci-lint|\((?:govet|errcheck|staticcheck|ineffassign|unused|gosimple|revive)\)$/m },
  { id: "prettier_check_failed", category: "lint", match: /Code style issues (?:found|were found)|Run Prettier with --write/ },
  { id: "biome_errors", category: "lint", match: /\blint\/[a-z]+\/[a-zA-Z]+\b|biome (?:check|lint|ci)\b[^\n]{0,40}(?:failed|error)/ },
  { id: "lint_failed", category: "lint", match: /\blint(?:ing)? (?:failed|errors? found)|stylelint|markdownlint|shellcheck/i },

  // --- syntax --------------------------------------------------------------------------------
  { id: "json_parse_error", category: "syntax", match: /in JSON at position|is not valid JSON|Unexpected end of JSON input|JSON Parse error|JSONDecodeError|jq: (?:error|parse error)|Expecting value: line \d+ column \d+/ },
  { id: "yaml_parse_error", category: "syntax", match: /YAMLException|yaml: line \d+|mapping values are not allowed|could not find expected ':'/ },
  { id: "syntax_error", category: "syntax", match: /SyntaxError|IndentationError|TabError|Unexpected token|Unexpected identifier|Unexpected end of input|Unterminated string|unexpected EOF|syntax error|Parse error|ParseError|expected expression/ },

  // --- out of memory (a killed build or test is an OOM, not a build or test failure) --------
  { id: "js_heap_out_of_memory", category: "out_of_memory", match: /JavaScript heap out of memory|Reached heap limit|Ineffective mark-compacts near heap limit/i },
  { id: "process_killed_oom", category: "out_of_memory", match: /^Killed\b|\b\d+ Killed\s|OOMKilled|Out of memory: Kill(?:ed)? process|oom[- ]kill|(?:exit(?:ed)?|return(?:ed)?|non-zero)[^\n]{0,20}(?:code|status)\W{0,3}137\b|Exit code 137\b|errno 137\b|signal: killed/im },
  { id: "out_of_memory", category: "out_of_memory", match: /\bMemoryError\b|Cannot allocate memory|\bENOMEM\b|std::bad_alloc|out of memory|OutOfMemoryError|memory exhausted/i },

  // --- builds --------------------------------------------------------------------------------
  { id: "c_header_not_found", category: "build", match: /fatal error: [^\n]{1,200}: No such file or directory/ },
  { id: "linker_failed", category: "build", match: /undefined reference to|ld returned \d+ exit status|linker command failed|Undefined symbols for architecture|ld: symbol\(s\) not found|error: linking with `[^`\n]{1,80}` failed/ },
  { id: "rustc_error", category: "build", match: /error\[(?<code>E\d{4})\]/ },
  { id: "cargo_build_failed", category: "build", match: /error: could not compile `|error: aborting due to|Could not compile `/i },
  { id: "native_addon_build_failed", category: "build", match: /gyp ERR!|node-gyp[^\n]{0,40}(?:failed|rebuild)/ },
  { id: "javac_error", category: "build", match: /error: cannot find symbol|\.java:\d+: error:/ },
  { id: "jvm_build_failed", category: "build", match: /FAILURE: Build failed with an exception|\[ERROR\] Failed to execute goal|COMPILATION ERROR|BUILD FAILED/ },
  { id: "dotnet_build_failed", category: "build", match: /error (?:CS|MSB|NU)\d{4}|Build FAILED\./ },
  { id: "cmake_failed", category: "build", match: /CMake Error/ },
  { id: "go_build_failed", category: "build", match: /\.go:\d+:\d+: (?:undefined: |[^\n]{1,200}declared and not used|"[^"\n]{1,200}" imported and not used)/ },
  { id: "bundler_build_failed", category: "build", match: /Module build failed|webpack compiled with \d+ errors?|Failed to compile\b|Build failed with \d+ errors?|\[vite\]:? [^\n]{0,40}(?:failed|error)|RollupError/ },
  { id: "make_failed", category: "build", match: /make(?:\[\d+\])?: \*\*\* / },
  { id: "build_failed", category: "build", match: /\bbuild failed\b|compilation failed|failed to compile|compilation terminated/i },

  // --- tests (a timed-out test is a timeout, so those come first) ---------------------------
  { id: "test_timeout", category: "timeout", match: /Exceeded timeout of \d+ ?ms for a (?:test|hook)|(?:Test|Hook) timed out in \d+ ?ms|Timeout of \d+ ?ms exceeded|Async callback was not invoked within/i },
  { id: "test_failed", category: "test", match: /\b[Tt]ests?:?\s+\d+ failed|\b\d+ failed(?: \||,| \(|\s*$)|Test Files\s+\d+ failed|^[ \t]*FAIL\s+\S|--- FAIL: |^FAIL\t|test result: FAILED|\b\d+ failing\b|^FAILED |= FAILURES =|AssertionError|AssertError|expect\(received\)|npm (?:ERR!|error) Test failed|\b[Tt]ests? failed\b/m },

  // --- commands, network, permissions, files, time ------------------------------------------
  { id: "command_not_found", category: "command_not_found", match: /command not found|is not recognized as an internal or external command|is not recognized as the name of a cmdlet|executable file not found in \$PATH|spawn \S{1,200} ENOENT|^(?:\/bin\/)?(?:ba|z|da)?sh: (?:line )?\d+: [^\n]{1,200}: not found$|(?:exit(?:ed)?|return(?:ed)?)[^\n]{0,20}(?:code|status)\W{0,3}127\b|Exit code 127\b/im },
  { id: "network_tls_error", category: "network", match: /\bCERT_[A-Z_]{3,40}|SELF_SIGNED_CERT|UNABLE_TO_(?:GET_ISSUER|VERIFY_LEAF)|certificate (?:verify failed|has expired|is not yet valid|chain|not trusted)|unable to (?:get|verify) (?:local issuer|the first) certificate|self[- ]signed certificate|SSLError|SSL_ERROR|SSL routines|ERR_TLS_|TLS handshake|x509: /i },
  { id: "network_dns_failure", category: "network", match: /ENOTFOUND|EAI_AGAIN|getaddrinfo|Could not resolve host|Name or service not known|Temporary failure in name resolution|nodename nor servname|no such host/i },
  { id: "network_connection_refused", category: "network", match: /ECONNREFUSED|Connection refused|actively refused/i },
  { id: "network_connection_reset", category: "network", match: /ECONNRESET|socket hang up|Connection reset by peer|ECONNABORTED|UND_ERR_SOCKET|other side closed/i },
  { id: "network_timeout", category: "network", match: /ETIMEDOUT|ESOCKETTIMEDOUT|Connection timed out|connect timeout|UND_ERR_CONNECT_TIMEOUT|ConnectTimeoutError|Operation timed out after \d+ milliseconds|ReadTimeoutError|timed out connecting/i },
  { id: "network_unreachable", category: "network", match: /ENETUNREACH|EHOSTUNREACH|Network is unreachable|No route to host|ERR_INTERNET_DISCONNECTED/i },
  { id: "network_request_failed", category: "network", match: /\bfetch failed\b|Failed to fetch\b|APIConnectionError|error sending request for url|\bConnectionError\b/ },
  { id: "port_in_use", category: "network", match: /EADDRINUSE|address already in use|port \d+ is already in use|Only one usage of each socket address/i },
  { id: "read_only_filesystem", category: "permission", match: /EROFS|Read-only file system/i },
  { id: "operation_not_permitted", category: "permission", match: /\bEPERM\b|Operation not permitted/i },
  { id: "permission_denied", category: "permission", match: /EACCES|Permission denied|PermissionError|Access is denied|access denied|PERMISSION_DENIED|insufficient permissions/i },
  { id: "file_not_found", category: "file_not_found", match: /ENOENT|No such file or directory|FileNotFoundError|File does not exist|(?:file|path|directory) (?:\S{1,300} )?(?:does not|doesn't) exist|cannot find the (?:file|path) specified|Could not open input file/i },
  { id: "timed_out", category: "timeout", match: /Command timed out|timed out after \d|timeout(?: of)? \d+\s?(?:ms|s|seconds?) exceeded|operation timed out|TimeoutError|DEADLINE_EXCEEDED|deadline exceeded|Timed out waiting|(?:exit(?:ed)?|return(?:ed)?)[^\n]{0,20}(?:code|status)\W{0,3}124\b|Exit code 124\b/i },

  // --- runtime -------------------------------------------------------------------------------
  { id: "segmentation_fault", category: "runtime", match: /Segmentation fault|segfault/i },
  {
    id: "runtime_exception",
    category: "runtime",
    group: "template",
    // One regex per language's way of printing an uncaught exception.
    match: new RegExp(
      [
        String.raw`\b(?:TypeError|ReferenceError|RangeError|EvalError|URIError|AggregateError)\b`,
        String.raw`Traceback \(most recent call last\)`,
        String.raw`^(?:[\w$]+\.){0,8}[A-Z]\w{0,60}(?:Error|Exception)(?::|$| \[)`,
        String.raw`^Error \[ERR_[A-Z_]+\]`,
        "Exception in thread|Unhandled (?:exception|rejection)|UnhandledPromiseRejection|Uncaught exception",
        "^panic: |panicked at|fatal error: all goroutines are asleep|Fatal Python error",
        String.raw`\((?:\w+::){0,4}\w+(?:Error|Exception)\)$`,
      ].join("|"),
      "m",
    ),
  },
];
