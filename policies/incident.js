// Incident containment: host isolation and IP blocking proposed by agents.
// Containing a user's workstation is cheap to undo; cutting off a production server, a
// critical host or a protected network can cause the outage the attacker wanted.
// Rules: denials first, then human reviews from strongest to weakest, then allow.

import { str, norm, list, exactSet, normSet, has, hasExact, familyAgents, productionNames } from "./lib/util.js";

export const policy = {
  id: "incident-containment",
  owner: "security-operations-team",
  approver_group: "soc-approvers",
  applies_to: ["host.*", "network.*"],
  frameworks: [
    "OWASP-Agentic-2026:ASI02", // tool misuse and exploitation
    "OWASP-Agentic-2026:ASI08", // cascading failures
    "OWASP-LLM-2025:LLM06", // excessive agency
    "NIST-AI-RMF:MAP-3.5", // human oversight processes defined
    "NIST-AI-RMF:MANAGE-2.3", // respond to and recover from unknown risks
    "ISO-IEC-42001:A.6.2.6", // AI system operation and monitoring
  ],
  description:
    "Lets agents isolate workstations and block single external addresses in high-risk incidents, and sends production servers, critical hosts, protected networks and every release of containment to the SOC.",
};

// Risk score from which automatic containment is justified.
const MIN_RISK = 70;

// Narrowest IPv4 prefix an agent may block: a /24 (256 addresses) at most.
const MIN_PREFIX = 24;

// Device classes (target.attributes.device_class) treated as end-user machines.
// Anything else, including a missing class, is treated as a server.
const WORKSTATION_CLASSES = exactSet(["workstation", "laptop", "desktop", "vdi"]);

const KNOWN_TYPES = exactSet(["host.isolate", "host.release", "network.block_ip", "network.unblock_ip"]);

const RELEASE_TYPES = exactSet(["host.release", "network.unblock_ip"]);

// What decide needs from data, derived once per policy-set revision.
export function prepare(data) {
  return {
    agents: familyAgents(data, "containment"),
    production: productionNames(data),
    critical_hosts: normSet(list(data.critical_assets, "hosts")),
    protected_networks: protectedRanges(data),
  };
}

// The parseable ranges of data/critical_assets.json networks, each with the CIDR as written.
function protectedRanges(data) {
  const ranges = [];
  for (const cidr of list(data.critical_assets, "networks")) {
    const net = parseIpv4Range(cidr);
    if (net !== undefined) {
      ranges.push({ cidr: str(cidr), start: net.start, size: net.size });
    }
  }
  return ranges;
}

// Parses "a.b.c.d" or "a.b.c.d/n" into { start, size }; undefined if it is not valid IPv4.
function parseIpv4Range(text) {
  const parts = str(text).trim().split("/");
  if (parts.length > 2) {
    return undefined;
  }
  const octets = parts[0].split(".");
  if (octets.length !== 4) {
    return undefined;
  }
  let address = 0;
  for (const octet of octets) {
    if (!/^[0-9]{1,3}$/.test(octet) || Number(octet) > 255) {
      return undefined;
    }
    address = address * 256 + Number(octet);
  }
  let prefix = 32;
  if (parts.length === 2) {
    if (!/^[0-9]{1,2}$/.test(parts[1]) || Number(parts[1]) > 32) {
      return undefined;
    }
    prefix = Number(parts[1]);
  }
  const size = Math.pow(2, 32 - prefix);
  return { start: address - (address % size), size: size, prefix: prefix };
}

function overlaps(a, b) {
  return a.start < b.start + b.size && b.start < a.start + a.size;
}

function protectedNetwork(range, prepared) {
  for (const net of prepared.protected_networks) {
    if (overlaps(range, net)) {
      return net.cidr;
    }
  }
  return "";
}

export function decide(input, data, prepared) {
  const action = input.action;
  const type = action.type;
  if (!hasExact(KNOWN_TYPES, type)) {
    return undefined; // unknown host.* / network.* types are denied by the catch-all
  }
  const agentId = str(input.agent.id);
  const target = str(action.target.id).trim();
  const incident = str(input.context.incident_id).trim();
  const production = has(prepared.production, input.context.environment);

  if (!has(prepared.agents, agentId)) {
    return { verdict: "deny", reason: `agent "${agentId}" is not registered for containment actions (data/agents.json)` };
  }
  if (target === "") {
    return { verdict: "deny", reason: `${type} names no target` };
  }

  // Lifting containment is the step an attacker needs; a human confirms the threat is gone.
  if (hasExact(RELEASE_TYPES, type)) {
    return {
      verdict: "require_human",
      reason: `${type} lifts containment of ${target}; a human must confirm the threat is gone`,
      review_ttl: "4h",
    };
  }

  let range = undefined;
  if (type === "network.block_ip") {
    // IPv6 cannot be checked against the protected ranges here, so a human looks at it.
    if (target.includes(":")) {
      return {
        verdict: "require_human",
        reason: `${target} looks like IPv6; only IPv4 blocks are checked automatically`,
        review_ttl: "1h",
      };
    }
    range = parseIpv4Range(target);
    if (range === undefined) {
      return { verdict: "deny", reason: `${target} is not a valid IPv4 address or CIDR range` };
    }
    if (range.prefix < MIN_PREFIX) {
      return {
        verdict: "deny",
        reason: `blocking ${target} is too broad: agents may block at most a /${MIN_PREFIX}`,
      };
    }
  }

  // Critical hosts (domain controllers, vault, PKI, bastions): two humans.
  if (type === "host.isolate" && has(prepared.critical_hosts, target)) {
    return {
      verdict: "require_human",
      reason: `${target} is a critical host; isolating it needs two approvers`,
      min_approvals: 2,
      review_ttl: "30m",
    };
  }
  if (production && incident === "") {
    return {
      verdict: "require_human",
      reason: `${type} on ${target} in production without an incident id`,
      review_ttl: "30m",
    };
  }
  if (type === "host.isolate" && production && !hasExact(WORKSTATION_CLASSES, norm(action.target.attributes.device_class))) {
    return {
      verdict: "require_human",
      reason: `${target} is a production server (device_class "${str(action.target.attributes.device_class)}"); isolating it can take a service down`,
      review_ttl: "30m",
    };
  }
  if (range !== undefined) {
    const net = protectedNetwork(range, prepared);
    if (net !== "") {
      return {
        verdict: "require_human",
        reason: `${target} overlaps protected network ${net}; blocking it could cut off internal or partner traffic`,
        review_ttl: "30m",
      };
    }
  }
  if (action.risk_score < MIN_RISK) {
    return {
      verdict: "require_human",
      reason: `risk score ${action.risk_score} is below ${MIN_RISK}; automatic ${type} is not justified`,
      review_ttl: "30m",
    };
  }

  if (type === "host.isolate") {
    return {
      verdict: "allow",
      reason: `isolating ${target} at risk score ${action.risk_score}${incident !== "" ? " in incident " + incident : ""}`,
      obligations: { notify: "soc-oncall", max_isolation: "24h" },
    };
  }
  return {
    verdict: "allow",
    reason: `blocking ${target} at risk score ${action.risk_score}${incident !== "" ? " in incident " + incident : ""}`,
    obligations: { notify: "soc-oncall", max_block_duration: "24h" },
  };
}
