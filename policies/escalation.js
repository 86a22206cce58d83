// Incident escalation, paging and closure proposed by agents.
// Bringing more humans in is cheap and safe, so escalation is allowed. Shutting humans out
// (closing an incident, especially as a false positive) or spending scarce attention
// (paging executives or individuals) is what a misled agent would do, so those go to a human.

import { str, norm, list, exactSet, normSet, has, hasExact, familyAgents } from "./lib/util.js";

export const policy = {
  id: "incident-escalation",
  owner: "incident-management-team",
  approver_group: "incident-commanders",
  applies_to: ["incident.*"],
  frameworks: [
    "OWASP-Agentic-2026:ASI09", // human-agent trust exploitation
    "OWASP-LLM-2025:LLM09", // misinformation (a wrong "false positive" verdict)
    "OWASP-LLM-2025:LLM10", // unbounded consumption (page storms)
    "NIST-AI-RMF:MANAGE-4.3", // incidents communicated, tracked and followed up
    "NIST-AI-RMF:GOVERN-2.1", // roles and lines of communication
    "ISO-IEC-42001:A.8.4", // communication of incidents
  ],
  description:
    "Lets agents escalate incidents and page on-call rotations, and sends executive pages, pages to individuals and incident closures that end an investigation to an incident commander.",
};

const KNOWN_TYPES = exactSet(["incident.escalate", "incident.page", "incident.close"]);

// parameters.resolution values an agent may propose when closing.
const RESOLUTIONS = ["resolved", "duplicate", "false_positive"];

// context.severity values whose closure always gets an incident commander's sign-off.
const HIGH_SEVERITIES = exactSet(["sev0", "sev1", "sev2"]);

// Below this confidence a closure proposal is reviewed.
const MIN_CLOSE_CONFIDENCE = 0.8;

// What decide needs from data, derived once per policy-set revision.
export function prepare(data) {
  return {
    agents: familyAgents(data, "escalation"),
    executives: normSet(list(data.paging, "executives")),
    rotations: normSet(list(data.paging, "rotations")),
  };
}

// The incident is context.incident_id, or the target itself when the target is an incident.
function incidentOf(input) {
  const fromContext = str(input.context.incident_id).trim();
  if (fromContext !== "") {
    return fromContext;
  }
  return input.action.target.kind === "incident" ? str(input.action.target.id).trim() : "";
}

export function decide(input, data, prepared) {
  const action = input.action;
  const type = action.type;
  if (!hasExact(KNOWN_TYPES, type)) {
    return undefined; // unknown incident.* types are denied by the catch-all
  }
  const agentId = str(input.agent.id);
  const incident = incidentOf(input);

  if (!has(prepared.agents, agentId)) {
    return { verdict: "deny", reason: `agent "${agentId}" is not registered for escalation actions (data/agents.json)` };
  }
  // Every escalation, page and closure must be traceable to an incident record.
  if (incident === "") {
    return { verdict: "deny", reason: `${type} is not tied to an incident (no context.incident_id or incident target)` };
  }

  if (type === "incident.escalate") {
    return {
      verdict: "allow",
      reason: `escalating ${incident}: more human attention is cheap and reversible`,
      obligations: { notify: "incident-commander" },
    };
  }

  if (type === "incident.page") {
    const recipient = str(action.target.id).trim();
    if (recipient === "") {
      return { verdict: "deny", reason: `page for ${incident} names no recipient` };
    }
    if (has(prepared.executives, recipient)) {
      return {
        verdict: "require_human",
        reason: `paging executive ${recipient} for ${incident} needs an incident commander's approval`,
        review_ttl: "30m",
      };
    }
    if (has(prepared.rotations, recipient)) {
      // The dedupe window stops a looping agent from page-storming a rotation.
      return {
        verdict: "allow",
        reason: `paging on-call rotation ${recipient} for ${incident}`,
        obligations: { dedupe_window: "15m" },
      };
    }
    return {
      verdict: "require_human",
      reason: `${recipient} is not an on-call rotation; paging individuals directly needs an incident commander`,
      review_ttl: "30m",
    };
  }

  // incident.close
  const resolution = norm(action.parameters.resolution);
  if (!RESOLUTIONS.includes(resolution)) {
    return {
      verdict: "deny",
      reason: `closing ${incident} with unknown resolution "${str(action.parameters.resolution)}" (expected ${RESOLUTIONS.join(", ")})`,
    };
  }
  // A false-positive closure ends the investigation; if the agent was misled, the attack goes unseen.
  if (resolution === "false_positive") {
    return {
      verdict: "require_human",
      reason: `closing ${incident} as a false positive ends the investigation and must be confirmed by a human`,
      review_ttl: "4h",
    };
  }
  if (hasExact(HIGH_SEVERITIES, norm(input.context.severity))) {
    return {
      verdict: "require_human",
      reason: `${incident} is ${norm(input.context.severity)}; closing a high-severity incident needs an incident commander`,
      review_ttl: "4h",
    };
  }
  if (action.confidence < MIN_CLOSE_CONFIDENCE) {
    return {
      verdict: "require_human",
      reason: `agent confidence ${action.confidence} is below ${MIN_CLOSE_CONFIDENCE} for closing ${incident}`,
      review_ttl: "4h",
    };
  }
  return {
    verdict: "allow",
    reason: `closing low-severity ${incident} as ${resolution} with confidence ${action.confidence}`,
  };
}
