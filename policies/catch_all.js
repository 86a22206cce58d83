// Guardrails that apply to every action, whatever its type.
// This policy only ever denies. For a known, well-formed action from an identified agent,
// sent by an acceptable caller, it returns nothing, so it never masks the verdict of the
// specific policy.
//
// The caller (input.caller) is established by the server from the transport, never from the
// request: mTLS gives a verified SPIFFE ID, a Unix socket gives kernel-attested peer
// credentials, plaintext TCP gives nothing and is marked unauthenticated.
//
// The agent id in the request (input.agent.id) is only a claim. When the caller has a SPIFFE ID,
// the claim is tied to it: the agent's name is the LAST segment of the workload's path
// (spiffe://example.org/agents/triage-bot and spiffe://example.org/agents/soc/triage-bot are both
// agent "triage-bot"), and agent.id must equal it exactly. Every other policy trusts agent.id
// (data/agents.json, data/secret_grants.json), so this is what stops one workload from using
// another agent's registrations and grants.

import { str, list, isObject, exactSet, hasExact, has, productionNames } from "./lib/util.js";

export const policy = {
  id: "catch-all-guardrails",
  owner: "ai-governance-team",
  approver_group: "ai-governance-reviewers",
  applies_to: ["*"],
  frameworks: [
    "OWASP-Agentic-2026:ASI10", // rogue agents
    "OWASP-Agentic-2026:ASI03", // identity and privilege abuse
    "OWASP-LLM-2025:LLM06", // excessive agency
    "NIST-AI-RMF:MANAGE-2.4", // mechanisms to supersede or deactivate AI systems
    "NIST-AI-RMF:MEASURE-2.6", // fail safely outside known operating conditions
    "ISO-IEC-42001:A.9.4", // intended use of the AI system
    "ISO-IEC-42001:8.1", // operational planning and control
  ],
  description:
    "Denies callers whose SPIFFE ID is not an agent workload or names another agent than agent.id, unauthenticated callers in production, malformed actions, anonymous agents in production and any action type that no policy in the set is written for.",
};

// What decide needs from data, derived once per policy-set revision.
export function prepare(data) {
  return {
    known_types: knownTypes(data),
    production: productionNames(data),
    trust_domains: exactSet(list(data.workloads, "trust_domains").map((td) => str(td).trim())),
    agent_path_prefix: agentPathPrefix(data),
  };
}

// Every type listed under any family of data/action_catalog.json, as an exactSet.
// A missing or empty catalog knows nothing, so everything is denied (fail closed).
function knownTypes(data) {
  const families = isObject(data.action_catalog) ? data.action_catalog.families : undefined;
  if (!isObject(families)) {
    return {};
  }
  let types = [];
  for (const family of Object.keys(families)) {
    types = types.concat(list(families, family));
  }
  return exactSet(types);
}

// The configured agent path prefix as "/segment/…/", "/agents/" when none is set.
function agentPathPrefix(data) {
  const doc = isObject(data.workloads) ? data.workloads : {};
  let prefix = str(doc.agent_path_prefix).trim();
  if (prefix === "") {
    prefix = "/agents/";
  }
  if (!prefix.startsWith("/")) {
    prefix = "/" + prefix;
  }
  if (!prefix.endsWith("/")) {
    prefix = prefix + "/";
  }
  return prefix;
}

// Why a SPIFFE ID is not an agent workload, or "" when it is one: its trust domain must be
// listed in data/workloads.json trust_domains (a missing list trusts none), and its path must
// lie strictly below agent_path_prefix, in well-formed segments.
function notAgentWorkload(spiffeId, prepared) {
  const text = str(spiffeId);
  if (!text.startsWith("spiffe://")) {
    return "it is not a spiffe:// ID";
  }
  const rest = text.substring("spiffe://".length);
  const slash = rest.indexOf("/");
  const trustDomain = slash < 0 ? rest : rest.substring(0, slash);
  const path = slash < 0 ? "" : rest.substring(slash);
  if (trustDomain === "" || !hasExact(prepared.trust_domains, trustDomain)) {
    return `trust domain "${trustDomain}" is not in data/workloads.json trust_domains`;
  }
  const prefix = prepared.agent_path_prefix;
  if (!path.startsWith(prefix) || path.length === prefix.length) {
    return `its path is not under ${prefix}`;
  }
  for (const segment of path.substring(1).split("/")) {
    if (segment === "" || segment === "." || segment === ".." || !/^[A-Za-z0-9._-]+$/.test(segment)) {
      return "its path has an empty, relative or ill-formed segment";
    }
  }
  return "";
}

// The agent name a workload's SPIFFE ID carries: the last segment of its path. Call it only
// for an ID that notAgentWorkload accepted (a non-empty path of well-formed segments).
function workloadAgentName(spiffeId) {
  const text = str(spiffeId);
  return text.substring(text.lastIndexOf("/") + 1);
}

export function decide(input, data, prepared) {
  const action = input.action;
  // The checks every decision passes are written out here rather than through the helpers: this policy runs
  // on every decision, and in the sandbox's interpreter each function call costs more than the check itself.
  const caller = input.caller !== null && typeof input.caller === "object" ? input.caller : {};

  // Who is calling comes first: it is the one thing the request itself cannot claim.
  // Only agent workloads may propose actions. A caller without a SPIFFE ID (Unix socket,
  // plaintext TCP) is judged by the next rule instead.
  if (caller.spiffe_id !== undefined) {
    const why = notAgentWorkload(caller.spiffe_id, prepared);
    if (why !== "") {
      return { verdict: "deny", reason: `workload ${str(caller.spiffe_id)} is not an agent workload: ${why}` };
    }
    // The request must say which agent it acts as, and it must be the agent the workload is.
    // Compared exactly (case and spaces count): the other policies compare agent ids ignoring
    // case and surrounding spaces, so an exact match here is a match everywhere.
    const workloadAgent = workloadAgentName(caller.spiffe_id);
    const claimed = str(input.agent.id);
    if (claimed.trim() === "") {
      return {
        verdict: "deny",
        reason: `agent.id is empty but the calling workload ${str(caller.spiffe_id)} is agent "${workloadAgent}": the request must name the agent it acts as`,
      };
    }
    if (claimed !== workloadAgent) {
      return {
        verdict: "deny",
        reason: `agent.id "${claimed}" does not match the calling workload ${str(caller.spiffe_id)}`,
      };
    }
  }
  // Production needs an identity established by the transport (mTLS SVID or Unix peer credentials).
  const production = has(prepared.production, input.context.environment);
  if (caller.authenticated !== true && production) {
    const transport = str(caller.transport) !== "" ? str(caller.transport) : "unknown";
    return {
      verdict: "deny",
      reason: `unauthenticated caller in production (transport ${transport}): production actions need an mTLS or Unix-socket identity`,
    };
  }

  // Out-of-range scores mean a broken or manipulated caller; thresholds elsewhere would misfire.
  const confidence = action.confidence;
  if (!(typeof confidence === "number" && confidence >= 0 && confidence <= 1)) {
    return { verdict: "deny", reason: `malformed action: confidence ${action.confidence} is outside [0, 1]` };
  }
  const risk = action.risk_score;
  if (!(typeof risk === "number" && risk >= 0 && risk <= 100)) {
    return { verdict: "deny", reason: `malformed action: risk_score ${action.risk_score} is outside [0, 100]` };
  }
  if (typeof action.type !== "string" || action.type.trim() === "") {
    return { verdict: "deny", reason: "malformed action: action.type is empty" };
  }
  // Nothing happens in production without an accountable, identified agent. A SPIFFE caller with
  // an empty agent.id was already denied above, in any environment; this catches Unix-socket callers.
  if (production && str(input.agent.id).trim() === "") {
    return { verdict: "deny", reason: "production action from an unidentified agent (agent.id is empty)" };
  }
  if (!hasExact(prepared.known_types, action.type)) {
    return {
      verdict: "deny",
      reason: `no policy covers action type "${action.type}" (not in data/action_catalog.json)`,
    };
  }
  return undefined;
}
