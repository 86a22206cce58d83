// Identity and access changes proposed by agents.
// Rules are checked top to bottom and the first match decides: denials first,
// then the strongest human reviews (two approvers) before the single-approver ones.

import { str, norm, list, exactSet, normSet, has, hasExact, familyAgents } from "./lib/util.js";

export const policy = {
  id: "iam-account-changes",
  owner: "iam-platform-team",
  approver_group: "iam-approvers",
  applies_to: ["iam.account.*", "iam.role.*", "iam.mfa.*", "iam.session.*"],
  frameworks: [
    "OWASP-Agentic-2026:ASI03", // identity and privilege abuse
    "OWASP-LLM-2025:LLM06", // excessive agency
    "NIST-AI-RMF:GOVERN-3.2", // roles in human-AI configurations and oversight
    "NIST-AI-RMF:MAP-3.5", // human oversight processes defined
    "NIST-AI-RMF:MANAGE-1.3", // responses to high-priority risks
    "ISO-IEC-42001:A.9.2", // processes for responsible use of AI systems
  ],
  description:
    "Lets agents contain compromised accounts during incidents, sends anything touching critical accounts, privileged roles, re-enablement or MFA to humans, and never lets an agent delete an account.",
};

// Below this confidence an agent's IAM change is reviewed by a human.
const MIN_CONFIDENCE = 0.9;

// Types this policy understands; anything else under iam.* is left to the catch-all.
const KNOWN_TYPES = exactSet([
  "iam.account.disable",
  "iam.account.enable",
  "iam.account.delete",
  "iam.role.grant",
  "iam.role.revoke",
  "iam.mfa.reset",
  "iam.session.revoke",
]);

// Containment steps: they only cut access, so an agent may take them on its own
// during an active incident.
const CONTAINMENT_TYPES = exactSet(["iam.account.disable", "iam.role.revoke", "iam.session.revoke"]);

// What decide needs from data, derived once per policy-set revision.
export function prepare(data) {
  return {
    agents: familyAgents(data, "iam"),
    critical_accounts: normSet(list(data.critical_assets, "accounts")),
    privileged_roles: normSet(list(data.critical_assets, "roles")),
  };
}

// The executor must perform the change with a credential that dies quickly.
function obligations() {
  return { max_credential_ttl: "15m" };
}

// Grants name the role in parameters.role; the target is the account receiving it.
function roleOf(action) {
  return str(action.parameters.role).trim();
}

export function decide(input, data, prepared) {
  const action = input.action;
  const type = action.type;
  if (!hasExact(KNOWN_TYPES, type)) {
    return undefined;
  }
  const agentId = str(input.agent.id);
  const target = str(action.target.id).trim();

  // Least agency: only agents registered for IAM may propose IAM changes at all.
  if (!has(prepared.agents, agentId)) {
    return { verdict: "deny", reason: `agent "${agentId}" is not registered for iam actions (data/agents.json)` };
  }
  // Deletion is irreversible and destroys evidence; agents may disable, never delete.
  if (type === "iam.account.delete") {
    return { verdict: "deny", reason: "agents may disable accounts but never delete them: deletion is irreversible" };
  }
  if (target === "") {
    return { verdict: "deny", reason: `${type} names no target account` };
  }
  if (type === "iam.role.grant") {
    const role = roleOf(action);
    if (role === "") {
      return { verdict: "deny", reason: "role grant names no role (parameters.role)" };
    }
    // An agent must not be the path by which its own principal elevates itself.
    if (norm(target) === norm(input.agent.on_behalf_of)) {
      return {
        verdict: "deny",
        reason: `self-elevation: the agent acts on behalf of ${target} and may not grant that principal a role`,
      };
    }
  }

  // Critical accounts (admins, break-glass, executives, core services): four eyes, whatever the change.
  if (has(prepared.critical_accounts, target)) {
    return {
      verdict: "require_human",
      reason: `${target} is a critical account; ${type} needs two approvers`,
      min_approvals: 2,
      review_ttl: "1h",
      obligations: obligations(),
    };
  }
  // Privileged roles are reviewed by the privileged-access group, not the IAM queue.
  if (type === "iam.role.grant" && has(prepared.privileged_roles, roleOf(action))) {
    return {
      verdict: "require_human",
      reason: `granting privileged role ${roleOf(action)} needs two privileged-access approvers`,
      approver_group: "privileged-access-approvers",
      min_approvals: 2,
      review_ttl: "4h",
      obligations: obligations(),
    };
  }
  // Re-enabling restores whatever access the account had; a hijacked agent would ask for exactly this.
  if (type === "iam.account.enable") {
    return {
      verdict: "require_human",
      reason: `re-enabling ${target} restores its access and must be confirmed by a human`,
      review_ttl: "4h",
      obligations: obligations(),
    };
  }
  // MFA resets are a classic account-takeover step.
  if (type === "iam.mfa.reset") {
    return {
      verdict: "require_human",
      reason: `MFA reset for ${target} is an account-takeover vector and needs a human`,
      review_ttl: "1h",
      obligations: obligations(),
    };
  }
  if (action.confidence < MIN_CONFIDENCE) {
    return {
      verdict: "require_human",
      reason: `agent confidence ${action.confidence} is below ${MIN_CONFIDENCE} for ${type}`,
      review_ttl: "30m",
      obligations: obligations(),
    };
  }
  // Containment without an incident is not containment: a human decides.
  if (hasExact(CONTAINMENT_TYPES, type) && str(input.context.incident_id).trim() === "") {
    return {
      verdict: "require_human",
      reason: `${type} on ${target} outside an active incident (no context.incident_id)`,
      review_ttl: "30m",
      obligations: obligations(),
    };
  }
  if (type === "iam.role.grant") {
    return {
      verdict: "allow",
      reason: `non-privileged role ${roleOf(action)} for non-critical ${target} with confidence ${action.confidence}`,
      obligations: obligations(),
    };
  }
  return {
    verdict: "allow",
    reason: `${type} on non-critical ${target} during incident ${str(input.context.incident_id).trim()} with confidence ${action.confidence}`,
    obligations: obligations(),
  };
}
