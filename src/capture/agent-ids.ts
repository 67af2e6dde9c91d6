/**
 * The agents awl has an adapter for (capture/<id>/), by the id that prefixes an imported
 * attempt and that `--format` takes. Apart from adapter.ts so that `awl run` can check its
 * flags without loading the event schemas: the agent starts ~25 ms sooner.
 */
export const AGENT_IDS = ["claude", "codex", "gemini", "text"] as const;
export type AgentId = (typeof AGENT_IDS)[number];
