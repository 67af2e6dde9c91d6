export { type Fingerprint, type FingerprintOptions, fingerprint, templateFingerprint } from "./fingerprint.js";
export { type ErrorRule, RULES } from "./rules.js";
export { errorTemplate, normalizeLine } from "./template.js";
