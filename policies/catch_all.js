// Guardrails that apply to every action, whatever its type.
// This policy only ever denies. For a known, well-formed action from an identified agent
// it returns nothing, so it never masks the verdict of the specific policy.

export const policy = {
  id: "catch-all-guardrails",
  owner: "ai-governance-team",
  approver_group: "ai-governance-reviewers",
  applies_to: ["*"],
  frameworks: [
    "OWASP-Agentic-2026:ASI10", // rogue agents
    "OWASP-LLM-2025:LLM06", // excessive agency
    "NIST-AI-RMF:MANAGE-2.4", // mechanisms to supersede or deactivate AI systems
    "NIST-AI-RMF:MEASURE-2.6", // fail safely outside known operating conditions
    "ISO-IEC-42001:A.9.4", // intended use of the AI system
    "ISO-IEC-42001:8.1", // operational planning and control
  ],
  description:
    "Denies malformed actions, anonymous agents in production and any action type that no policy in the set is written for.",
};

function str(v) {
  return typeof v === "string" ? v : "";
}

function norm(v) {
  return str(v).trim().toLowerCase();
}

function list(doc, key) {
  if (doc !== null && typeof doc === "object" && Array.isArray(doc[key])) {
    return doc[key];
  }
  return [];
}

function containsNorm(values, value) {
  const wanted = norm(value);
  if (wanted === "") {
    return false;
  }
  for (const v of values) {
    if (norm(v) === wanted) {
      return true;
    }
  }
  return false;
}

function inRange(value, low, high) {
  return typeof value === "number" && Number.isFinite(value) && value >= low && value <= high;
}

// True if the type is listed under any family of data/action_catalog.json.
// A missing or empty catalog knows nothing, so everything is denied (fail closed).
function knownType(data, type) {
  const families = data.action_catalog !== null && typeof data.action_catalog === "object" ? data.action_catalog.families : undefined;
  if (families === null || typeof families !== "object") {
    return false;
  }
  for (const family of Object.keys(families)) {
    if (list(families, family).includes(type)) {
      return true;
    }
  }
  return false;
}

function isProduction(input, data) {
  const names = list(data.environments, "production");
  return containsNorm(names.length > 0 ? names : ["production"], input.context.environment);
}

export function decide(input, data) {
  const action = input.action;

  // Out-of-range scores mean a broken or manipulated caller; thresholds elsewhere would misfire.
  if (!inRange(action.confidence, 0, 1)) {
    return { verdict: "deny", reason: `malformed action: confidence ${action.confidence} is outside [0, 1]` };
  }
  if (!inRange(action.risk_score, 0, 100)) {
    return { verdict: "deny", reason: `malformed action: risk_score ${action.risk_score} is outside [0, 100]` };
  }
  if (str(action.type).trim() === "") {
    return { verdict: "deny", reason: "malformed action: action.type is empty" };
  }
  // Nothing happens in production without an accountable, identified agent.
  if (isProduction(input, data) && str(input.agent.id).trim() === "") {
    return { verdict: "deny", reason: "production action from an unidentified agent (agent.id is empty)" };
  }
  if (!knownType(data, action.type)) {
    return {
      verdict: "deny",
      reason: `no policy covers action type "${action.type}" (not in data/action_catalog.json)`,
    };
  }
  return undefined;
}
