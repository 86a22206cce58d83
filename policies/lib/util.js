// Helpers shared by the shipped policies (import { norm, list } from "./lib/util.js").
// A helper module is sandboxed like a policy: declarations only, and everything it exports is frozen.
//
// Sets and maps are plain objects whose keys are the members: a policy's prepare(data) builds them once per
// policy-set revision, and its result must be plain JSON-like data (a Set or Map cannot be frozen). Look
// members up with has/hasExact/lookup, which read own keys only, so "constructor" or "__proto__" never match.

export function str(v) {
  return typeof v === "string" ? v : "";
}

// Names in data are compared ignoring case and surrounding spaces.
export function norm(v) {
  return str(v).trim().toLowerCase();
}

export function isObject(v) {
  return v !== null && typeof v === "object";
}

// doc[key] if it is an array, else an empty list: a missing key in data means "none".
export function list(doc, key) {
  if (isObject(doc) && Array.isArray(doc[key])) {
    return doc[key];
  }
  return [];
}

export function inRange(value, low, high) {
  return typeof value === "number" && Number.isFinite(value) && value >= low && value <= high;
}

// A set of the normalized, non-empty names in values; look names up with has().
export function normSet(values) {
  const set = {};
  for (const v of values) {
    const name = norm(v);
    if (name !== "") {
      set[name] = true;
    }
  }
  return set;
}

// A set of the non-empty strings in values, compared exactly; look them up with hasExact().
export function exactSet(values) {
  const set = {};
  for (const v of values) {
    if (typeof v === "string" && v !== "") {
      set[v] = true;
    }
  }
  return set;
}

// True if value, normalized, is in a set made by normSet (never for an empty name).
export function has(set, value) {
  return Object.hasOwn(set, norm(value));
}

// True if value is a string in a set made by exactSet.
export function hasExact(set, value) {
  return typeof value === "string" && Object.hasOwn(set, value);
}

// map[key] if the map has its own entry for key, else undefined.
export function lookup(map, key) {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

// The agents registered for a family of actions in data/agents.json, as a normSet.
export function familyAgents(data, family) {
  const byFamily = isObject(data.agents) ? data.agents.allowed_by_family : undefined;
  return normSet(list(byFamily, family));
}

// The environment names that count as production (data/environments.json), as a normSet;
// only "production" when the list is missing or empty.
export function productionNames(data) {
  const names = list(data.environments, "production");
  return normSet(names.length > 0 ? names : ["production"]);
}

export function callerOf(input) {
  return isObject(input.caller) ? input.caller : {};
}
