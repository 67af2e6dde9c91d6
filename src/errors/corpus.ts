/**
 * Real error messages, each from a cited public source: an agent transcript in the shared
 * fixtures (`shared/fixtures/real/…`, `shared/fixtures/public/…`, `shared/formats/…`) or a
 * public GitHub issue/PR (`owner/repo#number`). Excerpts keep the error lines as printed;
 * surrounding prose was left out. Either `fingerprint` (a known rule) or `category` (grouped
 * by template, `known: false`) is expected.
 */
import type { ErrorCategory } from "../schema/vocabulary.js";

export interface CorpusEntry {
  readonly source: string;
  readonly message: string;
  readonly stackTrace?: string;
  /** Expected stable name of a known failure. */
  readonly fingerprint?: string;
  /** Expected category of a failure grouped by its template (`known: false`). */
  readonly category?: ErrorCategory;
  readonly note?: string;
}

export const CORPUS: readonly CorpusEntry[] = [
  {
    source: "shared/fixtures/real/claude/error_loop.stdout.jsonl (tool_result.content)",
    message: "Exit code 128\nfatal: 'origin' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.",
    fingerprint: "git_remote_not_found",
  },
  {
    source: "shared/fixtures/real/claude/error_loop.stdout.jsonl (tool_use_result)",
    message: "Error: Exit code 128\nfatal: 'origin' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.",
    fingerprint: "git_remote_not_found",
  },
  {
    source: "shared/fixtures/real/codex/error_loop.stdout.jsonl (command_execution.aggregated_output)",
    message: "fatal: 'origin' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n",
    fingerprint: "git_remote_not_found",
  },
  {
    source: "shared/fixtures/real/gemini/error_loop.stdout.jsonl (tool_result.output)",
    message: "fatal: 'origin' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.",
    fingerprint: "git_remote_not_found",
  },
  {
    source: "shared/fixtures/real/gemini/error_loop.session.jsonl (functionResponse.output)",
    message: "<untrusted_context>\nOutput: fatal: 'origin' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\nExit Code: 128\nProcess Group PGID: 17603\n</untrusted_context>",
    fingerprint: "git_remote_not_found",
  },
  {
    source: "shared/fixtures/real/gemini/error_loop.stdout.jsonl (error)",
    message: "Loop detected, stopping execution",
    fingerprint: "agent_loop_detected",
  },
  {
    source: "shared/fixtures/real/claude/api_error.stdout.jsonl (result)",
    message: "API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:42485).",
    fingerprint: "provider_overloaded",
  },
  {
    source: "shared/fixtures/real/claude/api_error.stdout.jsonl (system/api_retry error)",
    message: "overloaded",
    fingerprint: "provider_overloaded",
  },
  {
    source: "shared/fixtures/real/codex/api_error.stdout.jsonl (error)",
    message: "Reconnecting... 1/5 (We’re currently experiencing high demand, which may cause temporary errors.)",
    fingerprint: "provider_overloaded",
  },
  {
    source: "shared/fixtures/real/codex/api_error.stdout.jsonl (turn.failed)",
    message: "We’re currently experiencing high demand, which may cause temporary errors.",
    fingerprint: "provider_overloaded",
  },
  {
    source: "shared/fixtures/real/gemini/api_error.stdout.jsonl (result.error)",
    message: "[API Error: The model is overloaded. Please try again later.]",
    fingerprint: "provider_overloaded",
  },
  {
    source: "shared/fixtures/real/gemini/api_error.stderr.txt (retry)",
    message: "Attempt 1 failed with status 503. Retrying with backoff... _ApiError: {\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\",\"status\":\"UNAVAILABLE\"}}\n    at throwErrorIfNotOK (file:///home/dev/realclients/node_modules/@google/gemini-cli/bundle/chunk-JDPZ4CE3.js:267833:24)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n    at async Models.generateContentStream (file:///home/dev/realclients/node_modules/@google/gemini-cli/bundle/chunk-JDPZ4CE3.js:268692:16) {\n  status: 503\n}",
    fingerprint: "provider_overloaded",
  },
  {
    source: "shared/fixtures/real/gemini/api_error.stderr.txt (last attempt)",
    message: "Attempt 10 failed: The model is overloaded. Please try again later.. Max attempts reached",
    fingerprint: "provider_overloaded",
  },
  {
    source: "shared/formats/gemini-cli.md (api_error_fatal result.error)",
    message: "[API Error: {\"error\":{\"code\":400,\"message\":\"API key not valid. …\",\"status\":\"INVALID_ARGUMENT\"}}]",
    fingerprint: "api_key_invalid",
  },
  {
    source: "shared/formats/codex.md (api_error_fatal)",
    message: "unexpected status 401 Unauthorized: Incorrect API key provided: mock-not***-key., url: http://127.0.0.1:42449/v1/responses, request id: req_…",
    fingerprint: "api_key_invalid",
  },
  {
    source: "shared/formats/claude-code.md (api_error_fatal)",
    message: "Invalid API key · Fix external API key",
    fingerprint: "api_key_invalid",
  },
  {
    source: "shared/fixtures/public/claude/v2.0.76-errors.jsonl",
    message: "<tool_use_error>File does not exist.</tool_use_error>",
    fingerprint: "file_not_found",
  },
  {
    source: "shared/fixtures/public/claude/v2.0.76-errors.jsonl",
    message: "Exit code 5\njq: parse error: Invalid numeric literal at line 1, column 122",
    fingerprint: "json_parse_error",
  },
  {
    source: "shared/fixtures/public/claude/v2.0.76-errors.jsonl",
    message: "Exit code 1\nxargs: command line cannot be assembled, too long",
    category: "unknown",
  },
  {
    source: "shared/fixtures/public/claude/v2.0.76-errors.jsonl",
    message: "Exit code 1\n\nOptions:\n  1. Codex requires compatible models (e.g., gpt-4.1, gpt-4o, qwen2.5-coder)\n  2. Update profile: codemie setup\n  3. Override for this session: codemie-codex --model gpt-4.1",
    category: "unknown",
  },
  {
    source: "shared/fixtures/public/claude/v2.1.38-progress-subagent.jsonl",
    message: "<tool_use_error>Sibling tool call errored</tool_use_error>",
    fingerprint: "sibling_tool_call_errored",
  },
  {
    source: "shared/fixtures/public/claude/v2.1.38-progress-subagent.jsonl",
    message: "EISDIR: illegal operation on a directory, read",
    category: "unknown",
  },
  {
    source: "shared/fixtures/public/claude/v2.1.38-short-errors.jsonl",
    message: "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). STOP what you are doing and wait for the user to tell you how to proceed.",
    fingerprint: "agent_tool_rejected",
  },
  {
    source: "shared/fixtures/public/claude/v2.1.38-sidechain-agent-afc096d.jsonl",
    message: "<tool_use_error>File content (806.5KB) exceeds maximum allowed size (256KB). Please use offset and limit parameters to read specific portions of the file, or use the GrepTool to search for specific content.</tool_use_error>",
    fingerprint: "read_file_too_large",
  },
  {
    source: "shared/fixtures/public/claude/v2.1.38-sidechain-agent-afc096d.jsonl",
    message: "Exit code 127\n(eval):1: command not found: tree",
    fingerprint: "command_not_found",
  },
  {
    source: "shared/fixtures/public/claude/v1.0.17-music-long.jsonl",
    message: "/Users/chip/anaconda3/lib/python3.11/site-packages/transformers/utils/generic.py:260: FutureWarning: `torch.utils._pytree._register_pytree_node` is deprecated. Please use `torch.utils._pytree.register_pytree_node` instead.\n  torch.utils._pytree._register_pytree_node(\nTraceback (most recent call last):\n  File \"/Users/chip/dev/ai-music/diverse_musical_ai.py\", line 385, in <module>\n    main()\n  File \"/Users/chip/dev/ai-music/diverse_musical_ai.py\", line 378, in main\n    input(\"\\nPress Enter to continue to next composition...\")\nEOFError: EOF when reading a line\n\n🎼 DIVERSE Musical AI Generator\n🎯 Using most diverse model for maximum variety",
    category: "runtime",
    note: "Python traceback: the exception line, not the warning before it, is the template",
  },
  {
    source: "shared/fixtures/public/claude/v1.0.17-music-long.jsonl",
    message: "File \"/Users/chip/dev/ai-music/diverse_musical_ai.py\", line 73\n    inputs = self.tokenizer(token, return_tensors=\\\"pt\\\", padding=True, truncation=True)\\n        \n                                                   ^\nSyntaxError: unexpected character after line continuation character",
    fingerprint: "syntax_error",
  },
  {
    source: "shared/fixtures/public/claude/v1.0.17-music-long.jsonl",
    message: "None of PyTorch, TensorFlow >= 2.0, or Flax have been found. Models won't be available and only tokenizers, configuration and file/data utilities can be used.\nTraceback (most recent call last):\n  File \"/Users/chip/dev/ai-music/model_comparison.py\", line 9, in <module>\n    import torch\nModuleNotFoundError: No module named 'torch'",
    fingerprint: "python_module_not_found",
  },
  {
    source: "shared/fixtures/public/claude/v1.0.17-music-long.jsonl",
    message: "String to replace not found in file.\nString: def main():\n    \\\"\\\"\\\"Test diverse musical generation.\\\"\\\"\\\"    \n    print(\\\"🎼 DIVERSE Musical AI Generator\\\")",
    fingerprint: "edit_string_not_found",
  },
  {
    source: "shared/fixtures/public/codex/v0.125.0-tui-unified-exec.jsonl (exec_command_end)",
    message: "\n> @codemieai/code@0.0.51 test\n> vitest --run src/agents/plugins/__tests__/codemie-code-reasoning.test.ts -t Compaction Config\n\n DEPRECATED  `test.poolOptions` was removed in Vitest 4. All previous `poolOptions` are now top-level options. Please, refer to the migration guide: https://vitest.dev/guide/migration#pool-rework\n\n RUN  v4.1.5 /Users/Sample_User/repos/codemie-ai/codemie-code\n\n(node:36706) Warning: The 'NO_COLOR' env is ignored due to the 'FORCE_COLOR' env being set.\n(Use `node --trace-warnings ...` to show where the warning was created)\n ❯ src/agents/plugins/__tests__/codemie-code-reasoning.test.ts (16 tests | 1 failed | 15 skipped) 1316ms\n       × sets default context compaction threshold to 90% 1312ms\n\n⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯\n\n FAIL  src/agents/plugins/__tests__/codemie-code-reasoning.test.ts > CodeMie Code Plugin — Reasoning Sanitization Integration > Compaction Config > sets default context compaction threshold to 90%\nAssertionError: expected undefined to deeply equal { auto: true, prune: true, …(1) }\n\n Test Files  1 failed (1)\n      Tests  1 failed | 15 skipped (16)\n   Start at  11:42:09\n   Duration  2.91s (transform 1.18s, setup 0ms, import 794ms, tests 1.32s, environment 0ms)\n",
    fingerprint: "test_failed",
  },
  {
    source: "shared/fixtures/public/codex/v0.125.0-tui-unified-exec.jsonl (function_call_output)",
    message: "Chunk ID: de4b53\nWall time: 4.1190 seconds\nProcess exited with code 2\nOriginal token count: 34\nOutput:\nrg: node_modules/opencode-ai: No such file or directory (os error 2)\nrg: node_modules/opencode: No such file or directory (os error 2)\n",
    fingerprint: "file_not_found",
  },
  {
    source: "shared/fixtures/public/codex/v0.125.0-tui-unified-exec.jsonl (function_call_output)",
    message: "write_stdin failed: stdin is closed for this session; rerun exec_command with tty=true to keep stdin open",
    fingerprint: "exec_stdin_closed",
  },
  {
    source: "shared/fixtures/public/gemini/2025-10-21-pomodoro.json (replace functionResponse.error)",
    message: "A secondary check by an LLM determined that no changes were necessary to fulfill the instruction. Explanation: The original search failed because the `resetTimer` function in the file already included the `updateTimerDisplay();` call at the end, which was the intended change. Therefore, the `replace` content is already present in the file, and no changes are required.. Original error with the parameters given: Failed to edit, 0 occurrences found for old_string (function resetTimer() {\n    clearInterval(timer);\n    isPaused = true;\n}) in /Users/yoavfarhi/dev/pomodoro/gemini/script.js. No edits made.",
    fingerprint: "edit_string_not_found",
  },
  {
    source: "anthropics/claude-code#7866",
    message: "Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: 216327 tokens > 200000 maximum\"},\"request_id\":\"req_011CTHk1mwGUHsoh8MJuB6fJ\"}\n    at n9.generate (file:///Users/yabasha/.nvm/versions/node/v22.19.0/lib/node_modules/@anthropic-ai/claude-code/cli.js:992:2412)\n    at YP.makeStatusError (file:///Users/yabasha/.nvm/versions/node/v22.19.0/lib/node_modules/@anthropic-ai/claude-code/cli.js:1009:2131)",
    fingerprint: "context_window_exceeded",
  },
  {
    source: "kodu-ai/claude-coder#64",
    message: "400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: 210883 tokens > 199999 maximum\"}}",
    fingerprint: "context_window_exceeded",
  },
  {
    source: "openai/codex#20866",
    message: "Error running remote compact task: {\n  \"error\": {\n    \"message\": \"Your input exceeds the context window of this model. Please adjust your input and try again.\",\n    \"type\": \"invalid_request_error\",\n    \"param\": \"input\",\n    \"code\": \"context_length_exceeded\"\n  }\n}",
    fingerprint: "context_window_exceeded",
  },
  {
    source: "openai/codex#36456",
    message: "■ Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
    fingerprint: "context_window_exceeded",
  },
  {
    source: "google-gemini/gemini-cli#4118",
    message: "[API Error: got status: INVALID_ARGUMENT. {\"error\":{\"code\":400,\"message\":\"The input token count (132478) exceeds the maximum number of tokens allowed (131072).\",\"status\":\"INVALID_ARGUMENT\"}}]",
    fingerprint: "context_window_exceeded",
  },
  {
    source: "google-gemini/gemini-cli#6678",
    message: "✕ [API Error: [{\n    \"error\": {\n      \"code\": 400,\n      \"message\": \"The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).\",\n      \"errors\": [\n        {\n          \"message\": \"The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).\",\n          \"domain\": \"global\",\n          \"reason\": \"badRequest\"\n        }\n      ],\n      \"status\": \"INVALID_ARGUMENT\"\n    }\n  }\n  ]]",
    fingerprint: "context_window_exceeded",
  },
  {
    source: "janhq/jan#8108",
    message: "API Error: 400 {\"error\":{\"code\":400,\"message\":\"request (24071 tokens) exceeds the available context size (8192 tokens), try increasing it\",\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":24071,\"n_ctx\":8192}}",
    fingerprint: "context_window_exceeded",
  },
  {
    source: "NanmiCoder/cc-haha#29",
    message: "API Error: 400 {\"error\":{\"message\":\"This model's maximum context length is 102400 tokens. However, you requested 102772 tokens (70772 in the messages, 32000 in the completion). Please reduce the length of the messages or",
    fingerprint: "context_window_exceeded",
  },
  {
    source: "anthropics/claude-code#24451",
    message: "API Error: 400 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"max_tokens: 128001 > 64000, which is the maximum allowed number of output tokens for claude-opus-4-5-20251101\"},\"request_id\":\"req_011CXxg3eqF8ZMvqtkKHNjKQ\"}",
    fingerprint: "api_invalid_request",
  },
  {
    source: "router-for-me/CLIProxyAPI#2016",
    message: "codex:{ \"error\": { \"message\": \"No tool call found for function call output with call_id call_nOWDnpBmdz4KqHWu8nM0q90k.\", \"type\": \"invalid_request_error\", \"param\": \"input\", \"code\": null } }",
    fingerprint: "api_invalid_request",
  },
  {
    source: "anthropics/claude-code#18373",
    message: "API Error: Claude's response exceeded the 32000 output token maximum. To configure this behavior, set the CLAUDE_CODE_MAX_OUTPUT_TOKENS environment variable.",
    fingerprint: "output_token_limit_exceeded",
  },
  {
    source: "Doriandarko/claude-engineer#29",
    message: "Claude API: Error code: 401 - {'type': 'error', 'error': {'type': 'authentication_error', 'message': 'invalid x-api-key'}}",
    fingerprint: "api_key_invalid",
  },
  {
    source: "anthropics/claude-code#9694",
    message: "Error: 401 {\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"},\"request_id\":\"req_011CUBgWE2fdbDGiPKTUQTwy\"}\n    at generate (/$bunfs/root/claude:199:83061)\n    at makeRequest (/$bunfs/root/claude:353:5345)\n    at processTicksAndRejections (native:7:39)",
    fingerprint: "api_key_invalid",
  },
  {
    source: "google-gemini/gemini-cli#4690",
    message: "✕ [API Error: API key not valid. Please pass a valid API key. (Status: INVALID_ARGUMENT)]",
    fingerprint: "api_key_invalid",
  },
  {
    source: "jlcodes99/cockpit-tools#753",
    message: "unexpected status 401 Unauthorized: Incorrect API key provided: agt_code******************************o1cs. You can find your API key at https://platform.openai.com/account/api-keys., url: https://api.openai.com/v1/responses, cf-ray: 9fb0b506e80d35c9-NRT, request id: req_1dece70cd9634cdc825fe3e1f23eefa5",
    fingerprint: "api_key_invalid",
  },
  {
    source: "openai/codex#4554",
    message: "[2025-10-01T15:36:54] stream error: exceeded retry limit, last status: 401 Unauthorized; retrying 1/5 in 208ms…",
    fingerprint: "api_key_invalid",
  },
  {
    source: "anthropics/claude-code#6893",
    message: "Error: Could not resolve authentication method. Expected either apiKey or authToken to be set. Or for one of the \"X-Api-Key\" or \"Authorization\" headers to be explicitly omitted\n    at CP.validateHeaders (file:///opt/homebrew/lib/node_modules/@anthropic-ai/claude-code/cli.js:979:930)\n    at CP.buildHeaders (file:///opt/homebrew/lib/node_modules/@anthropic-ai/claude-code/cli.js:979:8426)",
    fingerprint: "api_key_missing",
  },
  {
    source: "openai/codex#39820",
    message: "unexpected status 401 Unauthorized: missing api key, url: http://127.0.0.1:48760/v1/responses",
    fingerprint: "api_key_missing",
  },
  {
    source: "Gitlawb/openclaude#1356",
    message: "401 {\"error\":{\"message\":\"API key required\",\"type\":\"authentication_error\",\"code\":\"api_key_required\"}}\n     Retrying in 1 second… (attempt 4/10)",
    fingerprint: "api_key_missing",
  },
  {
    source: "anthropics/claude-code#18078",
    message: "Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your account's rate limit. Please try again later.\"},\"request_id\":\"req_011CX6gvtgRAWUuqDBUu82TT\"}\n    at D9.generate (file:///C:/Users/techd/AppData/Roaming/npm/node_modules/@anthropic-ai/claude-code/cli.js:491:33793)",
    fingerprint: "rate_limited",
  },
  {
    source: "Wei-Shaw/claude-relay-service#56",
    message: "API Error (429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"This request would exceed your account's rate limit. Please try again later.\"}}) · Retrying in 2892 seconds… (attempt 1/10)",
    fingerprint: "rate_limited",
  },
  {
    source: "google-gemini/gemini-cli#2020",
    message: "✕ [API Error: got status: 429 Too Many Requests. {\"error\":{\"message\":\"{\\n  \\\"error\\\": {\\n    \\\"code\\\": 429,\\n    \\\"message\\\": \\\"Resource has been exhausted (e.g. check quota).\\\",\\n    \\\"status\\\": \\\"RESOURCE_EXHAUSTED\\\"\\n  }\\n}\\n\",\"code\":429,\"status\":\"Too Many Requests\"}}]",
    fingerprint: "quota_exceeded",
  },
  {
    source: "google-gemini/gemini-cli#19976",
    message: "[API Error: Resource has been exhausted (e.g. check quota).]",
    fingerprint: "quota_exceeded",
  },
  {
    source: "google-gemini/gemini-cli#14811",
    message: "✕ [API Error: [{\n    \"error\": {\n      \"code\": 429,\n      \"message\": \"Resource exhausted. Please try again later. Please refer to https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details.\",\n      \"status\": \"RESOURCE_EXHAUSTED\"\n    }\n  }\n  ]]",
    fingerprint: "quota_exceeded",
  },
  {
    source: "anthropics/claude-code#4048",
    message: "Claude AI usage limit reached|1753077600",
    fingerprint: "quota_exceeded",
  },
  {
    source: "anthropics/claude-code#39745",
    message: "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded.\nhttps://docs.claude.com/en/api/errors\"},\"request_id\":\"req_011CZTEFvft13DajMTp9pp64\"}",
    fingerprint: "provider_overloaded",
  },
  {
    source: "anthropics/claude-code#3558",
    message: "API Error (529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}) · Retrying in 1 seconds… (attempt 1/10)",
    fingerprint: "provider_overloaded",
  },
  {
    source: "cline/cline#52",
    message: "529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
    fingerprint: "provider_overloaded",
  },
  {
    source: "openai/codex#6397",
    message: "stream disconnected before completion: An error occurred while processing your request. You can retry your request, or contact us through our help center at\nhelp.openai.com if the error persists. Please include the request ID 9533aa9c-0b12-47f6-bf85-773edc1f24fa in your message.",
    fingerprint: "provider_stream_disconnected",
  },
  {
    source: "openai/codex#27684",
    message: "stream disconnected before completion: An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists. Please include the request ID ec79568e-8bfd-4516-8b38-519f9f6a6b8e in your message.",
    fingerprint: "provider_stream_disconnected",
  },
  {
    source: "openai/codex#14200",
    message: "stream disconnected before completion: error sending request for url (https://chatgpt.com/backend-api/codex/responses)",
    fingerprint: "provider_stream_disconnected",
  },
  {
    source: "npm/npm#19039",
    message: "npm ERR! code ETIMEDOUT\nnpm ERR! errno ETIMEDOUT\nnpm ERR! network request to https://registry.npmjs.org/rx/-/rx-4.1.0.tgz failed, reason: read ETIMEDOUT\nnpm ERR! network This is a problem related to network connectivity.\nnpm ERR! network In most cases you are behind a proxy or have bad network settings.",
    fingerprint: "npm_install_timeout",
  },
  {
    source: "npm/npm#15889",
    message: "npm ERR! network connect ETIMEDOUT 151.101.64.162:80\nnpm ERR! network This is most likely not a problem with npm itself\nnpm ERR! network and is related to network connectivity.",
    fingerprint: "npm_install_timeout",
  },
  {
    source: "npm/cli#5780",
    message: "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\nnpm ERR! \nnpm ERR! While resolving: consensys.demos@0.1.0\nnpm ERR! Found: next@undefined\nnpm ERR! node_modules/next\nnpm ERR!   next@\"12.1.4\" from the root project\nnpm ERR! \nnpm ERR! Fix the upstream dependency conflict, or retry\nnpm ERR! this command with --force, or --legacy-peer-deps",
    fingerprint: "npm_eresolve",
  },
  {
    source: "RCVolus/lol-pick-ban-ui#95",
    message: "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\nnpm ERR!\nnpm ERR! While resolving: layout-volu-europe@0.1.0\nnpm ERR! Found: eslint@6.1.0\nnpm ERR! Could not resolve dependency:\nnpm ERR! peer eslint@\"^5.0.0\" from @typescript-eslint/parser@1.13.0",
    fingerprint: "npm_eresolve",
  },
  {
    source: "google-deepmind/alphageometry#62",
    message: "ERROR: Could not find a version that satisfies the requirement array-record==0.4.1 (from -r requirements.txt (line 28)) (from versions: none)\nERROR: No matching distribution found for array-record==0.4.1 (from -r requirements.txt (line 28))",
    fingerprint: "pip_no_matching_distribution",
  },
  {
    source: "Colt/YelpCamp#18",
    message: "node:internal/modules/cjs/loader:936\n  throw err;\n  ^\n\nError: Cannot find module 'express-session'\nRequire stack:\n- C:\\Users\\Ryzen7-5800H\\Desktop\\YelpCamp\\app.js\n    at Function.Module._resolveFilename (node:internal/modules/cjs/loader:933:15)\n    at Function.Module._load (node:internal/modules/cjs/loader:778:27) {\n  code: 'MODULE_NOT_FOUND',\n  requireStack: [ 'C:\\\\Users\\\\Ryzen7-5800H\\\\Desktop\\\\YelpCamp\\\\app.js' ]\n}",
    fingerprint: "node_module_not_found",
  },
  {
    source: "SilkePilon/KnowledgeBook#100",
    message: "Error: Cannot find module './config/ssl'\nRequire stack:\n- C:\\Users\\kikin\\KnowledgeBook\\backend\\scripts\\setup-https.js\n    at Function._resolveFilename (node:internal/modules/cjs/loader:1401:15)\n    at defaultResolveImpl (node:internal/modules/cjs/loader:1057:19) {\n  code: 'MODULE_NOT_FOUND',\n  requireStack: [\n    'C:\\\\Users\\\\kikin\\\\KnowledgeBook\\\\backend\\\\scripts\\\\setup-https.js'\n  ]\n}",
    fingerprint: "import_path_not_found",
  },
  {
    source: "xaboy/form-create#59",
    message: "ERROR in ./src/components/element/upload/render.js\nModule not found: Error: Can't resolve 'core-js/modules/es6.reflect.get' in 'D:\\projects\\form-create\\src\\components\\element\\upload'\n @ ./src/components/element/upload/render.js 11:0-41",
    fingerprint: "node_module_not_found",
  },
  {
    source: "uber-web/ocular#100",
    message: "ERROR in /Users/jerome/code/ocular/modules/gatsby/src/templates/index.jsx\nModule not found: Error: Can't resolve '../components/home' in '/Users/jerome/code/ocular/modules/gatsby/src/templates'",
    fingerprint: "import_path_not_found",
  },
  {
    source: "slidevjs/slidev#1790",
    message: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n 1: 0x100b6cbf4 node::Abort() [/Users/susmitvengurlekar/.nvm/versions/node/v20.10.0/bin/node]\n 2: 0x100b6cddc node::ModifyCodeGenerationFromStrings(v8::Local<v8::Context>, v8::Local<v8::Value>, bool) [/Users/susmitvengurlekar/.nvm/versions/node/v20.10.0/bin/node]",
    fingerprint: "js_heap_out_of_memory",
  },
  {
    source: "vtex/toolbelt#1166",
    message: "FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory\n 1: 00007FF61B9B79CF v8::internal::CodeObjectRegistry::~CodeObjectRegistry+114207\n 2: 00007FF61B946096 DSA_meth_get_flags+65542",
    fingerprint: "js_heap_out_of_memory",
  },
  {
    source: "Matterwiki/Matterwiki#121",
    message: "Killed\nThe command '/bin/sh -c npm install' returned a non-zero code: 137",
    fingerprint: "process_killed_oom",
  },
  {
    source: "dockware/dockware#106",
    message: "Calling reporter service for single check.\nKilled\nnpm ERR! code ELIFECYCLE\nnpm ERR! errno 137\nnpm ERR! administration@1.0.0 build: `mode=production webpack`\nnpm ERR! Exit status 137",
    fingerprint: "process_killed_oom",
  },
  {
    source: "angular/angular#24015",
    message: "ERROR in src/app/components/add-item/add-item.component.ts(28,7): error TS2322: Type 'number' is not assignable to type 'String'.",
    fingerprint: "typescript_error_ts2322",
  },
  {
    source: "xssnick/TON-Torrent#18",
    message: "src/components/ModalAddTorrent.tsx(63,9): error TS2322: Type 'Timer' is not assignable to type 'number'.\n  ERROR   exit status 2",
    fingerprint: "typescript_error_ts2322",
  },
  {
    source: "app-sre/qontract-reconcile#4728",
    message: "reconcile/utils/oc_map.py:125: error: Incompatible types in assignment (expression has type \"OC\", variable has type \"OCCli | OCLogMsg\")  [assignment]",
    fingerprint: "mypy_assignment",
  },
  {
    source: "Instagram/MonkeyType#220",
    message: "monkeytype/tracing.py:81:31: error: Incompatible types in assignment (expression has type \"object\", variable has type \"Optional[type]\")\nFound 1 error in 1 file (checked 14 source files)",
    fingerprint: "mypy",
  },
  {
    source: "eslint/eslint#10004",
    message: "✖ 27 problems (22 errors, 5 warnings)\n  8 errors, 0 warnings potentially fixable with the `--fix` option.",
    fingerprint: "eslint_errors",
  },
  {
    source: "astral-sh/ruff#17295",
    message: "ruff_F401.py:4:12: F401 [*] `package.a.b.e.module_c` imported but unused\n  |\n2 |     import package.a.b.c.d.module_a\n3 |     import package.a.b.c.d.module_b\n4 |     import package.a.b.e.module_c\n  |            ^^^^^^^^^^^^^^^^^^^^^^ F401\n  |\n  = help: Remove unused import: `package.a.b.e.module_c`\n\nFound 1 error.\n[*] 1 fixable with the `--fix` option.",
    fingerprint: "ruff_errors",
  },
  {
    source: "bugzmanov/bookokrat#190",
    message: "error[E0308]: mismatched types\n  --> src/clipboard.rs:55:9\n   |\n55 |         Provider::Arboard\n   |         ^^^^^^^^^^^^^^^^^ expected `()`, found `Provider`\n\nFor more information about this error, try `rustc --explain E0308`.\nerror: could not compile `bookokrat` (lib) due to 1 previous error",
    fingerprint: "rustc_error_e0308",
  },
  {
    source: "mburkley/mltt#27",
    message: "file_disvar.c:30:10: fatal error: file_disvar.h: No such file or directory\n   30 | #include \"file_disvar.h\"\n      |          ^~~~~~~~~~~~~~~\ncompilation terminated.\n\t[CC] ti994a.c...\nmake: *** [Makefile:60: file_disvar.o] Error 1",
    fingerprint: "c_header_not_found",
  },
  {
    source: "okken/pytest-check#150",
    message: "FAILURE: check 1 == 2: comment about a=1 != b=2\ntest_example_short_test_summary_info.py:11 in test_message() -> check.equal(a, b, f\"comment about a={a} != b={b}\")\n=========================== short test summary info ============================\nFAILED test_example_short_test_summary_info.py::test_message - FAILURE: check...\n======================= 1 failed, 1 deselected in 0.55s ========================",
    fingerprint: "test_failed",
  },
  {
    source: "astralkn/gophercises#69",
    message: "=== RUN   Test --- FAIL: Test (0.00s) Failed",
    fingerprint: "test_failed",
  },
  {
    source: "jestjs/jest#14695",
    message: "thrown: \"Exceeded timeout of 15000 ms for a test.\nUse jest.setTimeout(newTimeout) to increase the timeout value, if this is a long-running test.\"",
    fingerprint: "test_timeout",
  },
  {
    source: "callstack/react-native-testing-library#1743",
    message: "thrown: \"Exceeded timeout of 5000 ms for a hook.",
    fingerprint: "test_timeout",
  },
  {
    source: "sebastienrousseau/dotfiles#18",
    message: "fatal: not a git repository (or any of the parent directories): .git",
    fingerprint: "git_not_repo",
  },
  {
    source: "stevejenkins/pihole-cloudsync#21",
    message: "To github.com:REDACTED/my-pihole-lists.git\n ! [rejected]        main -> main (non-fast-forward)\nerror: failed to push some refs to 'git@github.com:REDACTED/my-pihole-lists.git'\nhint: Updates were rejected because the tip of your current branch is behind\nhint: its remote counterpart. Integrate the remote changes (e.g.\nhint: 'git pull ...') before pushing again.",
    fingerprint: "git_push_failed",
  },
  {
    source: "darbaidzeavto/ci_final_exam_test#33",
    message: "Auto-merging lib.py\nCONFLICT (content): Merge conflict in lib.py\nAutomatic merge failed; fix conflicts and then commit the result.",
    fingerprint: "git_merge_conflict",
  },
  {
    source: "SvanBoxel/gitlab-mirror-and-ci-action#21",
    message: "fatal: detected dubious ownership in repository at '/github/workspace'\nTo add an exception for this directory, call:\n\n\tgit config --global --add safe.directory /github/workspace",
    fingerprint: "git_dubious_ownership",
  },
  {
    source: "follow-redirects/follow-redirects#119",
    message: "Error: connect ECONNREFUSED 127.0.0.1:80",
    fingerprint: "network_connection_refused",
  },
  {
    source: "npm/npm#13152",
    message: "npm ERR! code ENOTFOUND\nnpm ERR! errno ENOTFOUND\nnpm ERR! syscall getaddrinfo\n\nnpm ERR! network getaddrinfo ENOTFOUND registry.npmjs.org registry.npmjs.org:443\nnpm ERR! network This is most likely not a problem with npm itself",
    fingerprint: "network_dns_failure",
  },
  {
    source: "npm/cli#7991",
    message: "npm error code UNABLE_TO_GET_ISSUER_CERT_LOCALLY\nnpm error errno UNABLE_TO_GET_ISSUER_CERT_LOCALLY\nnpm error request to https://registry.npmjs.org/serve failed, reason: unable to get local issuer certificate",
    fingerprint: "network_tls_error",
  },
  {
    source: "Wei-Shaw/claude-relay-service#56 (comment)",
    message: "Error: socket hang up\n    at connResetException (node:internal/errors:720:14)\n    at TLSSocket.socketCloseListener (node:_http_client:474:25)\n    at TLSSocket.emit (node:events:529:35)",
    fingerprint: "network_connection_reset",
  },
  {
    source: "slack-samples/javascript-announcement-bot#20",
    message: "Error: listen EADDRINUSE: address already in use :::3000",
    fingerprint: "port_in_use",
  },
  {
    source: "OpenSourceHelpCommunity/Questions#421",
    message: "npm ERR! code EACCES\nnpm ERR! syscall mkdir\nnpm ERR! path /usr/local/lib/node_modules/nodemon\nnpm ERR! errno -13\nnpm ERR! Error: EACCES: permission denied, mkdir '/usr/local/lib/node_modules/nodemon'",
    fingerprint: "permission_denied",
  },
  {
    source: "SalesforceCommerceCloud/b2c-crm-sync#168",
    message: "npm ERR! code ENOENT\nnpm ERR! syscall open\nnpm ERR! path C:\\Users\\ryyan/package.json\nnpm ERR! errno -4058\nnpm ERR! enoent ENOENT: no such file or directory, open 'C:\\Users\\ryyan\\package.json'\nnpm ERR! enoent This is related to npm not being able to find a file.",
    fingerprint: "file_not_found",
  },
  {
    source: "topcoderinc/Topcoder-StarterPack_BluemixNode#12",
    message: "'better-npm-run' is not recognized as an internal or external command,\noperable program or batch file.",
    fingerprint: "command_not_found",
  },
  {
    source: "anthropics/claude-code#17895",
    message: "File has not been read yet. Read it first before writing to it.",
    fingerprint: "edit_file_not_read",
  },
  {
    source: "DevTokyoVx/nazuna#119",
    message: "TypeError: Cannot read properties of undefined (reading 'msg')\n    at NazuninhaBotExec (/home/container/dados/src/index.js:84:200)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    category: "runtime",
  },
  {
    source: "fjordllc/bootcamp#5684",
    message: "TypeError: Cannot read properties of null (reading 'addEventListener')\n  File \"https://bootcamp.fjord.jp/packs/js/application-d1d96949dbfd338e58cb.js\", line 2, in HTMLDocument.<anonymous>",
    category: "runtime",
  },
  {
    source: "spencermountain/wtf_wikipedia#504",
    message: "file:///usr/local/lib/node_modules/wtf_wikipedia/cli.js:2\nconst wtf = require('./src/index')\n            ^\n\nReferenceError: require is not defined in ES module scope, you can use import instead\nThis file is being treated as an ES module because it has a '.js' file extension and '/usr/local/lib/node_modules/wtf_wikipedia/package.json' contains \"type\": \"module\". To treat it as a CommonJS script, rename it to use the '.cjs' file extension.\n    at file:///usr/local/lib/node_modules/wtf_wikipedia/cli.js:2:13\n    at ModuleJob.run (node:internal/modules/esm/module_job:194:25)\n\nNode.js v19.2.0",
    category: "runtime",
  },
  {
    source: "fiatjaf/njump#65",
    message: "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x98 pc=0xe1d30f]\n\ngoroutine 1 [running]:\nmain.main()\n    /app/main.go:69 +0x1af",
    category: "runtime",
  },
  {
    source: "machineonamission/uwd2#12",
    message: "thread 'main' panicked at src\\explorer_modinfo.rs:45:14:\ncalled `Option::unwrap()` on a `None` value\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
    category: "runtime",
  },
  {
    source: "potatocloudmc/potatocloud#16",
    message: "Exception in thread \"Thread-0\" java.lang.NullPointerException: Cannot invoke \"net.potatocloud.node.screen.ScreenManager.getCurrentScreen()\" because the return value of \"net.potatocloud.node.Node.getScreenManager()\" is null\n\tat net.potatocloud.node.console.ConsoleReader.run(ConsoleReader.java:26)",
    category: "runtime",
  },
];

export interface CorpusPair {
  /** Where each side comes from. */
  readonly sources: readonly [string, string];
  readonly a: string;
  readonly b: string;
  readonly aStackTrace?: string;
  readonly bStackTrace?: string;
}

/** The same failure reported twice (other runs, machines, paths, ids): one fingerprint. */
export const SAME_FAILURE_PAIRS: readonly CorpusPair[] = [
  {
    sources: ["shared/fixtures/real/claude/error_loop.stdout.jsonl", "shared/fixtures/real/gemini/error_loop.session.jsonl"],
    a: "Exit code 128\nfatal: 'origin' does not appear to be a git repository\nfatal: Could not read from remote repository.",
    b: "<untrusted_context>\nOutput: fatal: 'origin' does not appear to be a git repository\nfatal: Could not read from remote repository.\nExit Code: 128\nProcess Group PGID: 17608\n</untrusted_context>",
  },
  {
    sources: ["tloncorp/tlon-apps#2652", "tloncorp/tlon-apps#2657"],
    a: "TypeError: Cannot read properties of undefined (reading 'NODE_ENV')\n    at F4e (https://sovpub-mitres.tlon.network/apps/grid/assets/index.78c07bfe.js:251:44843)\n    at At (https://sovpub-mitres.tlon.network/apps/grid/assets/index.78c07bfe.js:251:44416)",
    b: "TypeError: Cannot read properties of undefined (reading 'NODE_ENV')\n    at F4e (https://wanweb-figsum.tlon.network/apps/grid/assets/index.78c07bfe.js:251:44843)\n    at At (https://wanweb-figsum.tlon.network/apps/grid/assets/index.78c07bfe.js:251:44416)\n    at U5e.getSource (https://wanweb-figsum.tlon.network/apps/grid/assets/index.78c07bfe.js:251:60867)",
  },
  {
    sources: ["DevTokyoVx/nazuna#37", "DevTokyoVx/nazuna#34"],
    a: "Cannot read properties of undefined (reading '558396741152@s.whatsapp.net')",
    aStackTrace: "TypeError: Cannot read properties of undefined (reading '558396741152@s.whatsapp.net')\n    at NazuninhaBotExec (/home/container/dados/src/index.js:64:39)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    b: "Cannot read properties of undefined (reading '5511932242932@s.whatsapp.net')",
    bStackTrace: "TypeError: Cannot read properties of undefined (reading '5511932242932@s.whatsapp.net')\n    at NazuninhaBotExec (/home/container/dados/src/index.js:64:39)",
  },
  {
    sources: ["fjordllc/bootcamp#5684", "fjordllc/bootcamp#5763"],
    a: "TypeError: Cannot read properties of null (reading 'addEventListener')\n  File \"https://bootcamp.fjord.jp/packs/js/application-d1d96949dbfd338e58cb.js\", line 2, in HTMLDocument.<anonymous>",
    b: "Uncaught TypeError: Cannot read properties of null (reading 'addEventListener')\n  File \"webpack:///./app/javascript/hibernation_agreements.js\", line 5, in HTMLDocument.<anonymous>\n      checkbox.addEventListener('change', () => {",
  },
  {
    sources: ["fiatjaf/njump#65", "leukipp/cortile#25"],
    a: "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x98 pc=0xe1d30f]\n\ngoroutine 1 [running]:\nmain.main()\n    /app/main.go:69 +0x1af",
    b: "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x20 pc=0x5e9403]\n\ngoroutine 3212 [running]:\ngithub.com/leukipp/cortile/store.(*Client).UnLock(...)\n        /home/runner/work/cortile/cortile/store/client.go:78\ngithub.com/leukipp/cortile/desktop.(*Tracker).onPointerUpdate.func1()\n        /home/runner/work/cortile/cortile/desktop/tracker.go:439 +0xc3",
  },
  {
    sources: ["maxcnunes/gaper#9", "golang/go#17162"],
    a: "[gaper] Building program\n[gaper] Starting program\n[gaper] Building program\npanic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0xa0 pc=0x4d0ca6]\n\ngoroutine 154 [running]:\nos/exec.(*Cmd).Wait(0x0, 0x5bc683, 0xc42000a060)\n      /usr/local/go/src/os/exec/exec.go:453 +0x26\nmake: *** [Makefile:18: start] Error 2",
    b: "panic: runtime error: invalid memory address or nil pointer dereference\n[signal 0xb code=0x1 addr=0x0 pc=0x886334]",
  },
  {
    sources: ["machineonamission/uwd2#12", "lune-org/lune#341"],
    a: "thread 'main' panicked at src\\explorer_modinfo.rs:45:14:\ncalled `Option::unwrap()` on a `None` value\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
    b: "thread 'main' panicked at crates/lune-utils/src/fmt/error/components.rs:188:40:         called `Option::unwrap()` on a `None` value",
  },
  {
    sources: ["follow-redirects/follow-redirects#119", "chat-stack/db-assistant#1"],
    a: "Error: connect ECONNREFUSED 127.0.0.1:80",
    b: "Error: connect ECONNREFUSED 127.0.0.1:42291",
  },
  {
    sources: ["slack-samples/javascript-announcement-bot#20", "linnovate/mean#2001"],
    a: "Error: listen EADDRINUSE: address already in use :::3000",
    b: "events.js:292\n      throw er; // Unhandled 'error' event\n      ^\n\nError: listen EADDRINUSE: address already in use :::5000\n    at Server.setupListenHandle [as _listen2] (net.js:1318:16)\n    at listenInCluster (net.js:1366:12)",
  },
  {
    sources: ["openai/codex#27684", "openai/codex#46161"],
    a: "stream disconnected before completion: An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists. Please include the request ID ec79568e-8bfd-4516-8b38-519f9f6a6b8e in your message.",
    b: "stream disconnected before completion: An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists. Please include the request ID 79ae2867-44fc-4f33-8e21-226232a8de71 in your message.",
  },
  {
    sources: ["google-gemini/gemini-cli#13006", "google-gemini/gemini-cli#12214"],
    a: '✕ [API Error: [{\n    "error": {\n      "code": 400,\n      "message": "The input token count (1054016) exceeds the maximum number of tokens allowed (1048576).",\n      "status": "INVALID_ARGUMENT"\n    }\n  }\n  ]]',
    b: '✕ [API Error: [{\n    "error": {\n      "code": 400,\n      "message": "The input token count (134123) exceeds the maximum number of tokens allowed (131072).",\n      "status": "INVALID_ARGUMENT"\n    }\n  }\n  ]]',
  },
  {
    sources: ["SalesforceCommerceCloud/b2c-crm-sync#168", "birbwatcher/wayback-machine-downloader#1"],
    a: "npm ERR! code ENOENT\nnpm ERR! syscall open\nnpm ERR! path C:\\Users\\ryyan/package.json\nnpm ERR! errno -4058\nnpm ERR! enoent ENOENT: no such file or directory, open 'C:\\Users\\ryyan\\package.json'",
    b: "npm error code ENOENT\nnpm error syscall open\nnpm error path C:\\GitHub\\wayback-machine-downloader\\package.json\nnpm error errno -4058\nnpm error enoent Could not read package.json: Error: ENOENT: no such file or directory, open 'C:\\GitHub\\wayback-machine-downloader\\package.json'",
  },
  {
    sources: ["darbaidzeavto/ci_final_exam_test#33", "gotsiridzes/mit-08-final#58"],
    a: "Auto-merging lib.py\nCONFLICT (content): Merge conflict in lib.py\nAutomatic merge failed; fix conflicts and then commit the result.",
    b: "Auto-merging README.txt\nCONFLICT (content): Merge conflict in README.txt\nAutomatic merge failed; fix conflicts and then commit the result.",
  },
];

/** Different failures: different fingerprints. */
export const DIFFERENT_FAILURE_PAIRS: readonly CorpusPair[] = [
  {
    sources: ["DevTokyoVx/nazuna#119", "fjordllc/bootcamp#5684"],
    a: "TypeError: Cannot read properties of undefined (reading 'msg')\n    at NazuninhaBotExec (/home/container/dados/src/index.js:84:200)",
    b: "TypeError: Cannot read properties of null (reading 'addEventListener')\n  File \"https://bootcamp.fjord.jp/packs/js/application-d1d96949dbfd338e58cb.js\", line 2, in HTMLDocument.<anonymous>",
  },
  {
    sources: ["DevTokyoVx/nazuna#119", "spencermountain/wtf_wikipedia#504"],
    a: "TypeError: Cannot read properties of undefined (reading 'msg')\n    at NazuninhaBotExec (/home/container/dados/src/index.js:84:200)",
    b: "ReferenceError: require is not defined in ES module scope, you can use import instead\n    at file:///usr/local/lib/node_modules/wtf_wikipedia/cli.js:2:13",
  },
  {
    sources: ["SalesforceCommerceCloud/b2c-crm-sync#168", "OpenSourceHelpCommunity/Questions#421"],
    a: "npm ERR! code ENOENT\nnpm ERR! syscall open\nnpm ERR! enoent ENOENT: no such file or directory, open 'C:\\Users\\ryyan\\package.json'",
    b: "npm ERR! code EACCES\nnpm ERR! syscall mkdir\nnpm ERR! Error: EACCES: permission denied, mkdir '/usr/local/lib/node_modules/nodemon'",
  },
  {
    sources: ["shared/fixtures/public/claude/v2.0.76-errors.jsonl", "shared/fixtures/public/claude/v2.1.38-progress-subagent.jsonl"],
    a: "Exit code 1\nxargs: command line cannot be assembled, too long",
    b: "EISDIR: illegal operation on a directory, read",
  },
  {
    sources: ["fiatjaf/njump#65", "machineonamission/uwd2#12"],
    a: "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x98 pc=0xe1d30f]",
    b: "thread 'main' panicked at src\\explorer_modinfo.rs:45:14:\ncalled `Option::unwrap()` on a `None` value",
  },
  {
    sources: ["shared/fixtures/public/claude/v1.0.17-music-long.jsonl", "potatocloudmc/potatocloud#16"],
    a: "Traceback (most recent call last):\n  File \"/Users/chip/dev/ai-music/diverse_musical_ai.py\", line 378, in main\n    input(\"\\nPress Enter to continue to next composition...\")\nEOFError: EOF when reading a line",
    b: "Exception in thread \"Thread-0\" java.lang.NullPointerException: Cannot invoke \"net.potatocloud.node.screen.ScreenManager.getCurrentScreen()\" because the return value of \"net.potatocloud.node.Node.getScreenManager()\" is null",
  },
  {
    sources: ["anthropics/claude-code#9694", "anthropics/claude-code#6893"],
    a: 'Error: 401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}',
    b: 'Error: Could not resolve authentication method. Expected either apiKey or authToken to be set. Or for one of the "X-Api-Key" or "Authorization" headers to be explicitly omitted',
  },
  {
    sources: ["anthropics/claude-code#18078", "google-gemini/gemini-cli#19976"],
    a: 'Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your account\'s rate limit. Please try again later."}}',
    b: "[API Error: Resource has been exhausted (e.g. check quota).]",
  },
  {
    sources: ["Colt/YelpCamp#18", "SilkePilon/KnowledgeBook#100"],
    a: "Error: Cannot find module 'express-session'\nRequire stack:\n- C:\\Users\\Ryzen7-5800H\\Desktop\\YelpCamp\\app.js",
    b: "Error: Cannot find module './config/ssl'\nRequire stack:\n- C:\\Users\\kikin\\KnowledgeBook\\backend\\scripts\\setup-https.js",
  },
  {
    sources: ["shared/fixtures/real/claude/error_loop.stdout.jsonl", "sebastienrousseau/dotfiles#18"],
    a: "Exit code 128\nfatal: 'origin' does not appear to be a git repository\nfatal: Could not read from remote repository.",
    b: "fatal: not a git repository (or any of the parent directories): .git",
  },
];
