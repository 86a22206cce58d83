// Secret reads and rotations proposed by agents.
// A secret value that reaches an agent can end up in its context, logs or output, so reads
// are denied unless an explicit, unexpired agent/secret grant exists in data/secret_grants.json
// and the caller is a named workload: its SPIFFE ID (established by mTLS, input.caller) must be
// listed in data/workloads.json secret_readers.

import { str, norm, list, isObject, exactSet, normSet, has, hasExact, lookup, familyAgents, callerOf } from "./lib/util.js";

export const policy = {
  id: "secrets-access",
  owner: "secrets-platform-team",
  approver_group: "secrets-approvers",
  applies_to: ["secrets.*"],
  frameworks: [
    "OWASP-LLM-2025:LLM02", // sensitive information disclosure
    "OWASP-Agentic-2026:ASI03", // identity and privilege abuse
    "OWASP-LLM-2025:LLM06", // excessive agency
    "NIST-AI-RMF:MEASURE-2.7", // security and resilience
    "NIST-AI-RMF:MANAGE-1.3", // responses to high-priority risks
    "ISO-IEC-42001:A.9.2", // processes for responsible use of AI systems
  ],
  description:
    "Denies agents secret values except to named workloads through explicit time-boxed grants, lets them rotate ordinary secrets under obligations, and sends critical-secret rotations to a human.",
};

// Rotation is defensive but can break dependants; weakly justified rotations get a human.
const MIN_ROTATE_CONFIDENCE = 0.7;

// Credential lifetime for a granted read when the grant does not set one.
const DEFAULT_READ_TTL = "5m";

// What decide needs from data, derived once per policy-set revision.
export function prepare(data) {
  return {
    agents: familyAgents(data, "secrets"),
    critical_secrets: normSet(list(data.critical_assets, "secrets")),
    // Exact SPIFFE IDs only (compared as written, as SPIFFE paths are case-sensitive).
    secret_readers: exactSet(list(data.workloads, "secret_readers").map((id) => str(id).trim())),
    grants: grantsByAgentAndSecret(data),
  };
}

// Exact agent/secret pairs only: no wildcards, so every readable secret is named in review.
// Keyed by the normalized agent and the exact secret; the first grant for a pair wins.
function grantsByAgentAndSecret(data) {
  const grants = Object.create(null);
  for (const grant of list(data.secret_grants, "read")) {
    if (isObject(grant)) {
      const key = grantKey(grant.agent, str(grant.secret));
      if (!Object.hasOwn(grants, key)) {
        grants[key] = grant;
      }
    }
  }
  return grants;
}

function grantKey(agentId, secret) {
  return norm(agentId) + "\n" + secret;
}

// The caller's SPIFFE ID if the transport authenticated one (mTLS), else "".
// A Unix-socket or plaintext caller has none.
function callerSpiffeId(input) {
  const caller = callerOf(input);
  return caller.authenticated === true ? str(caller.spiffe_id) : "";
}

// A grant without expires_at does not expire; an unparseable date or decision time fails closed.
function grantExpired(grant, time) {
  if (grant.expires_at === undefined) {
    return false;
  }
  const expires = Date.parse(str(grant.expires_at));
  const now = Date.parse(str(time));
  if (Number.isNaN(expires) || Number.isNaN(now)) {
    return true;
  }
  return now >= expires;
}

export function decide(input, data, prepared) {
  const action = input.action;
  const type = action.type;
  if (type !== "secrets.read" && type !== "secrets.rotate") {
    return undefined; // unknown secrets.* types are denied by the catch-all
  }
  const agentId = str(input.agent.id);
  const secret = str(action.target.id).trim();
  const isCritical = has(prepared.critical_secrets, secret);

  if (!has(prepared.agents, agentId)) {
    return { verdict: "deny", reason: `agent "${agentId}" is not registered for secrets actions (data/agents.json)` };
  }
  if (secret === "") {
    return { verdict: "deny", reason: `${type} names no secret` };
  }

  if (type === "secrets.read") {
    // Root keys and the like never reach an agent, even if a grant lists them by mistake.
    if (isCritical) {
      return { verdict: "deny", reason: `${secret} is a critical secret; agents may never read its value, grant or not` };
    }
    // A grant names the agent the request claims to be; the workload that sends it must itself be
    // named, so a plaintext or Unix-socket caller, or an unlisted workload, never gets a value.
    // (catch-all-guardrails denies a SPIFFE caller whose agent.id is not its own agent name, so a
    // listed reader cannot claim another agent's grant either.)
    const workload = callerSpiffeId(input);
    if (workload === "") {
      const transport = str(callerOf(input).transport) !== "" ? str(callerOf(input).transport) : "unknown";
      return {
        verdict: "deny",
        reason: `secret values go only to named workloads: the caller has no authenticated SPIFFE ID (transport ${transport})`,
      };
    }
    if (!hasExact(prepared.secret_readers, workload)) {
      return {
        verdict: "deny",
        reason: `workload ${workload} is not a named secret reader (data/workloads.json secret_readers)`,
      };
    }
    const grant = lookup(prepared.grants, grantKey(agentId, secret));
    if (grant === undefined) {
      return {
        verdict: "deny",
        reason: `agents may not read secret values: no read grant for agent "${agentId}" on ${secret}`,
      };
    }
    if (grantExpired(grant, input.time)) {
      return {
        verdict: "deny",
        reason: `read grant for agent "${agentId}" on ${secret} expired at ${str(grant.expires_at)}`,
      };
    }
    const ttl = str(grant.max_credential_ttl).trim();
    return {
      verdict: "allow",
      reason: `explicit read grant${str(grant.ticket) !== "" ? " " + str(grant.ticket) : ""} for agent "${agentId}" on ${secret}`,
      obligations: {
        max_credential_ttl: ttl !== "" ? ttl : DEFAULT_READ_TTL,
        redact_in_logs: "true",
      },
    };
  }

  // secrets.rotate
  if (isCritical) {
    return {
      verdict: "require_human",
      reason: `${secret} is a critical secret; rotating it can break dependants and needs a human`,
      review_ttl: "4h",
      obligations: { max_credential_ttl: "15m", keep_previous_version: "24h" },
    };
  }
  if (action.confidence < MIN_ROTATE_CONFIDENCE) {
    return {
      verdict: "require_human",
      reason: `agent confidence ${action.confidence} is below ${MIN_ROTATE_CONFIDENCE} for rotating ${secret}`,
      review_ttl: "4h",
      obligations: { max_credential_ttl: "15m", keep_previous_version: "24h" },
    };
  }
  // Keep the previous version valid for a while so consumers can roll over without an outage.
  return {
    verdict: "allow",
    reason: `rotation of non-critical secret ${secret} with confidence ${action.confidence}`,
    obligations: { max_credential_ttl: "15m", keep_previous_version: "24h", notify: "secret-owner" },
  };
}
