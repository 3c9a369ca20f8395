/**
 * Name and label syntax as the API server checks it (apimachinery `pkg/util/validation`).
 * Each function returns the list of problems (empty when valid), worded like the API server.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function checkDns1123Label(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(value)) {
    problems.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character");
  }
  return problems;
}

export function checkDns1123Subdomain(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 253) problems.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value)) {
    problems.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
  }
  return problems;
}

/**
 * Keys and values already found valid: a cluster repeats the same few hundred labels on
 * thousands of pods, and the regular expressions were a measurable part of loading one.
 */
const VALID_KEYS = new Set<string>();
const VALID_VALUES = new Set<string>();
const MEMO_LIMIT = 100_000;
const NO_PROBLEMS: readonly string[] = Object.freeze([]);

function remember(set: Set<string>, text: string): void {
  if (set.size >= MEMO_LIMIT) set.clear();
  set.add(text);
}

/** Label keys: optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
export function checkLabelKey(key: string): readonly string[] {
  if (VALID_KEYS.has(key)) return NO_PROBLEMS;
  const problems = labelKeyProblems(key);
  if (problems.length === 0) remember(VALID_KEYS, key);
  return problems;
}

function labelKeyProblems(key: string): string[] {
  const slash = key.split('/');
  let name: string;
  const problems: string[] = [];
  if (slash.length === 1) {
    name = key;
  } else if (slash.length === 2) {
    const prefix = slash[0] ?? '';
    name = slash[1] ?? '';
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else for (const p of checkDns1123Subdomain(prefix)) problems.push(`prefix part ${p}`);
  } else {
    return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'"];
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  else if (!QUALIFIED_NAME_PART.test(name)) {
    problems.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  }
  return problems;
}

export function checkLabelValue(value: string): readonly string[] {
  if (VALID_VALUES.has(value)) return NO_PROBLEMS;
  const problems = labelValueProblems(value);
  if (problems.length === 0) remember(VALID_VALUES, value);
  return problems;
}

function labelValueProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 63) problems.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(value)) {
    problems.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  }
  return problems;
}

/** IANA service names, as `IsValidPortName` checks them. */
export function checkPortName(name: string): string[] {
  const problems: string[] = [];
  if (name.length < 1 || name.length > 15) problems.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) problems.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) problems.push('must contain at least one letter (a-z)');
  if (name.includes('--')) problems.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) problems.push('must not begin or end with a hyphen');
  return problems;
}

export function checkPortNumber(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}
