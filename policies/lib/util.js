// Helpers shared by the shipped policies (import { norm, list } from "./lib/util.js").
// A helper module is sandboxed like a policy: declarations only, and everything it exports is frozen.
//
// Sets and maps are plain objects whose keys are the members: a policy's prepare(data) builds them once per
// policy-set revision, and its result must be plain JSON-like data (a Set or Map cannot be frozen). A set's
// members map to true, and has/hasExact test for exactly true, so an inherited key ("constructor",
// "__proto__") never counts as a member; lookup reads own keys only.
//
// These run on every decision, and in the sandbox's interpreter a function call costs far more than an
// operator: the helpers call no other helper where a few characters of inline code do the same.

export function str(v) {
  return typeof v === "string" ? v : "";
}

// Names in data are compared ignoring case and surrounding spaces.
export function norm(v) {
  return typeof v === "string" ? v.trim().toLowerCase() : "";
}

export function isObject(v) {
  return v !== null && typeof v === "object";
}

// doc[key] if it is an array, else an empty list: a missing key in data means "none".
export function list(doc, key) {
  if (doc !== null && typeof doc === "object" && Array.isArray(doc[key])) {
    return doc[key];
  }
  return [];
}

// With finite bounds the comparisons alone refuse NaN and the infinities.
export function inRange(value, low, high) {
  return typeof value === "number" && value >= low && value <= high;
}

// A set of the normalized, non-empty names in values; look names up with has().
// No prototype, so that even a name such as "__proto__" is stored as a member.
export function normSet(values) {
  const set = Object.create(null);
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
  const set = Object.create(null);
  for (const v of values) {
    if (typeof v === "string" && v !== "") {
      set[v] = true;
    }
  }
  return set;
}

// True if value, normalized, is in a set made by normSet (never for an empty name: normSet leaves it out).
export function has(set, value) {
  return typeof value === "string" && set[value.trim().toLowerCase()] === true;
}

// True if value is a string in a set made by exactSet.
export function hasExact(set, value) {
  return typeof value === "string" && set[value] === true;
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
  const caller = input.caller;
  return caller !== null && typeof caller === "object" ? caller : {};
}
