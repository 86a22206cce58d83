using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;

namespace Pdp.Cli.Tests;

/// <summary>What a replay should count a decision towards; written by hand per case, not computed.</summary>
[Flags]
internal enum Effect
{
    None = 0,
    OverridePrevented = 1,
    ApprovedNowDenied = 2,
    RejectedNowAllowed = 4,
    ReviewAdded = 8,
    ReviewRemoved = 16,
}

/// <summary>One thing a human (or the server's expiry sweep) did with a decision.</summary>
internal enum Step
{
    Approve,
    Reject,
    Modify,
    Reverse,
    Expire,
    RefusedSecondApproval,
}

/// <summary>
/// One recorded decision of the replay scenario: the request, the verdict set A gave (checked when recorded),
/// the verdict set B should give, what humans did, the final human outcome, the policy the replay should
/// report it under, and the effects it should count towards.
/// </summary>
internal sealed record ReplayCase(string Name, JsonObject Request, Verdict Recorded, Verdict Candidate, Step[] Steps, string Human, string Policy, Effect Effects)
{
    public bool Changed => Recorded != Candidate;
}

/// <summary>
/// Policy set A (what production ran when the trail was recorded) and candidate B, which differ in known ways:
/// <list type="bullet">
/// <item>iam-accounts: A allows a disable from confidence 0.8, B from 0.9 (below: require_human); B lets an
/// enable through during an incident, where A always asks a human.</item>
/// <item>iam-roles: A asks two approvers for admin and allows any other role; B denies admin, allows reader,
/// and asks a human for any other role.</item>
/// <item>host-containment (A only): allows isolating workstations and laptops, asks a human for anything else.
/// B drops it, so host.isolate falls to the default deny (reported under the recorded policy).</item>
/// <item>secrets-access (B only): asks a human for every secrets.read, which A denied by default.</item>
/// </list>
/// </summary>
internal static class ReplayScenario
{
    public static IEnumerable<(string File, string Content)> PolicySetA() =>
    [
        ("accounts.js", Module("iam-accounts", "iam-platform-team", "iam-approvers", """["iam.account.*"]""", """
              const type = input.action.type;
              if (type === "iam.account.delete") {
                return { verdict: "deny", reason: "agents never delete accounts" };
              }
              if (type === "iam.account.enable") {
                return { verdict: "require_human", reason: "re-enabling " + input.action.target.id + " restores its access" };
              }
              if (input.action.confidence >= 0.8) {
                return { verdict: "allow", reason: "disable with confidence " + input.action.confidence, obligations: { max_credential_ttl: "15m" } };
              }
              return { verdict: "require_human", reason: "disable with confidence " + input.action.confidence + " needs a human" };
            """)),
        ("roles.js", Module("iam-roles", "iam-platform-team", "privileged-access-approvers", """["iam.role.grant"]""", """
              const role = input.action.parameters.role;
              if (role === "admin") {
                return { verdict: "require_human", reason: "granting admin needs two approvers", min_approvals: 2 };
              }
              return { verdict: "allow", reason: "granting " + role + " is routine" };
            """)),
        ("hosts.js", Module("host-containment", "security-operations-team", "soc-approvers", """["host.isolate"]""", """
              const deviceClass = input.action.target.attributes.device_class;
              if (deviceClass === "workstation" || deviceClass === "laptop") {
                return { verdict: "allow", reason: "isolating a " + deviceClass + " is routine containment", obligations: { notify: "soc-oncall" } };
              }
              return { verdict: "require_human", reason: "isolating a " + deviceClass + " needs a human" };
            """)),
        ("data/groups.json", Groups),
    ];

    public static IEnumerable<(string File, string Content)> PolicySetB() =>
    [
        ("accounts.js", Module("iam-accounts", "iam-platform-team", "iam-approvers", """["iam.account.*"]""", """
              const type = input.action.type;
              if (type === "iam.account.delete") {
                return { verdict: "deny", reason: "agents never delete accounts" };
              }
              if (type === "iam.account.enable") {
                if (input.context.incident_id) {
                  return { verdict: "allow", reason: "re-enabling " + input.action.target.id + " to close incident " + input.context.incident_id };
                }
                return { verdict: "require_human", reason: "re-enabling " + input.action.target.id + " restores its access" };
              }
              if (input.action.confidence >= 0.9) {
                return { verdict: "allow", reason: "disable with confidence " + input.action.confidence, obligations: { max_credential_ttl: "15m" } };
              }
              return { verdict: "require_human", reason: "disable with confidence " + input.action.confidence + " needs a human" };
            """)),
        ("roles.js", Module("iam-roles", "iam-platform-team", "privileged-access-approvers", """["iam.role.grant"]""", """
              const role = input.action.parameters.role;
              if (role === "admin") {
                return { verdict: "deny", reason: "agents may not grant admin" };
              }
              if (role === "reader") {
                return { verdict: "allow", reason: "granting reader is routine" };
              }
              return { verdict: "require_human", reason: "granting " + role + " needs a human" };
            """)),
        ("secrets.js", Module("secrets-access", "secrets-platform-team", "secrets-approvers", """["secrets.read"]""", """
              return { verdict: "require_human", reason: "reading " + input.action.target.id + " needs a human" };
            """)),
        ("data/groups.json", Groups),
    ];

    /// <summary>The decisions of the trail, in the order they are recorded.</summary>
    public static IReadOnlyList<ReplayCase> Cases() =>
    [
        new("disable, high confidence", Disable("bob@example.com", 0.95), Verdict.Allow, Verdict.Allow, [], "none", "iam-accounts", Effect.None),
        new("disable at 0.85, reversed", Disable("carol@example.com", 0.85), Verdict.Allow, Verdict.RequireHuman, [Step.Reverse], "reversed", "iam-accounts", Effect.OverridePrevented | Effect.ReviewAdded),
        new("disable at 0.85, untouched", Disable("dave@example.com", 0.85), Verdict.Allow, Verdict.RequireHuman, [], "none", "iam-accounts", Effect.ReviewAdded),
        new("disable at 0.5, approved", Disable("erin@example.com", 0.5), Verdict.RequireHuman, Verdict.RequireHuman, [Step.Approve], "approved", "iam-accounts", Effect.None),
        new("disable at 0.5, rejected", Disable("frank@example.com", 0.5), Verdict.RequireHuman, Verdict.RequireHuman, [Step.Reject], "rejected", "iam-accounts", Effect.None),
        new("enable in incident, approved", Enable("grace@example.com", "INC-2101"), Verdict.RequireHuman, Verdict.Allow, [Step.Approve], "approved", "iam-accounts", Effect.ReviewRemoved),
        new("enable in incident, rejected", Enable("heidi@example.com", "INC-2102"), Verdict.RequireHuman, Verdict.Allow, [Step.Reject], "rejected", "iam-accounts", Effect.RejectedNowAllowed | Effect.ReviewRemoved),
        new("enable in incident, modified", Enable("ivan@example.com", "INC-2103"), Verdict.RequireHuman, Verdict.Allow, [Step.Modify], "modified", "iam-accounts", Effect.ReviewRemoved),
        new("enable, expired", Enable("judy@example.com", null), Verdict.RequireHuman, Verdict.RequireHuman, [Step.Expire], "expired", "iam-accounts", Effect.None),
        new("enable, still pending", Enable("mallory@example.com", null), Verdict.RequireHuman, Verdict.RequireHuman, [], "none", "iam-accounts", Effect.None),
        new("delete", Account("iam.account.delete", "niaj@example.com", 0.99, null), Verdict.Deny, Verdict.Deny, [], "none", "iam-accounts", Effect.None),
        new("grant admin, two approvals", Grant("olivia@example.com", "admin"), Verdict.RequireHuman, Verdict.Deny, [Step.Approve, Step.RefusedSecondApproval, Step.Approve], "approved", "iam-roles", Effect.ApprovedNowDenied | Effect.ReviewRemoved),
        new("grant admin, approved then rejected", Grant("peggy@example.com", "admin"), Verdict.RequireHuman, Verdict.Deny, [Step.Approve, Step.Reject], "rejected", "iam-roles", Effect.OverridePrevented | Effect.ReviewRemoved),
        new("grant admin, one approval then expired", Grant("rupert@example.com", "admin"), Verdict.RequireHuman, Verdict.Deny, [Step.Approve, Step.Expire], "expired", "iam-roles", Effect.ReviewRemoved),
        new("grant operator, reversed", Grant("sybil@example.com", "operator"), Verdict.Allow, Verdict.RequireHuman, [Step.Reverse], "reversed", "iam-roles", Effect.OverridePrevented | Effect.ReviewAdded),
        new("grant reader", Grant("trent@example.com", "reader"), Verdict.Allow, Verdict.Allow, [], "none", "iam-roles", Effect.None),
        new("isolate server, approved", Isolate("db-prod-7", "server"), Verdict.RequireHuman, Verdict.Deny, [Step.Approve], "approved", "host-containment", Effect.ApprovedNowDenied | Effect.ReviewRemoved),
        new("isolate server, modified", Isolate("web-prod-2", "server"), Verdict.RequireHuman, Verdict.Deny, [Step.Modify], "modified", "host-containment", Effect.OverridePrevented | Effect.ReviewRemoved),
        new("isolate workstation, reversed", Isolate("ws-4411", "workstation"), Verdict.Allow, Verdict.Deny, [Step.Reverse], "reversed", "host-containment", Effect.OverridePrevented),
        new("isolate laptop", Isolate("lt-0932", "laptop"), Verdict.Allow, Verdict.Deny, [], "none", "host-containment", Effect.None),
        new("read secret", Secret("prod/payments/api-key"), Verdict.Deny, Verdict.RequireHuman, [], "none", "secrets-access", Effect.ReviewAdded),
        new("delete dns record", Request("dns.record.delete", "record", "www.example.com", new JsonObject(), new JsonObject(), 0.9, new JsonObject { ["environment"] = "production" }), Verdict.Deny, Verdict.Deny, [], "none", "default", Effect.None),
    ];

    /// <summary>Records every case with policy set A in <paramref name="policiesA"/>; returns each case's decision id.</summary>
    public static async Task<IReadOnlyList<string>> RecordAsync(string trailPath, string policiesA, IReadOnlyList<ReplayCase> cases, long maxFileBytes = 64L * 1024 * 1024)
    {
        var ids = new List<string>();
        await using var trail = await RecordedTrail.OpenAsync(trailPath, policiesA, maxFileBytes);
        var decisions = new List<RecordedDecision>();
        foreach (var c in cases)
        {
            var decision = await trail.DecideAsync(c.Request);
            if (decision.Verdict != c.Recorded)
            {
                throw new InvalidOperationException($"scenario '{c.Name}': policy set A answered {decision.Verdict.ToText()}, the case says {c.Recorded.ToText()}");
            }

            decisions.Add(decision);
            ids.Add(decision.DecisionId);
        }

        // Humans act later, interleaved with other decisions' records, as in production.
        for (var i = 0; i < cases.Count; i++)
        {
            var reviewers = new Queue<string>(["ana.reviewer@example.com", "ben.reviewer@example.com"]);
            foreach (var step in cases[i].Steps)
            {
                var decision = decisions[i];
                switch (step)
                {
                    case Step.Approve:
                        await trail.ApproveAsync(decision, reviewers.Dequeue());
                        break;
                    case Step.RefusedSecondApproval:
                        await trail.RefusalAsync(decision, "ana.reviewer@example.com", "approved", "ana.reviewer@example.com has already approved this decision; 2 distinct reviewers are required");
                        break;
                    case Step.Reject:
                        await trail.RejectAsync(decision, reviewers.Dequeue(), "not during the change freeze");
                        break;
                    case Step.Modify:
                        await trail.ModifyAsync(decision, reviewers.Dequeue(), "narrower change", new JsonObject { ["duration"] = "1h", ["reason"] = "reviewed" });
                        break;
                    case Step.Reverse:
                        await trail.ReverseAsync(decision, reviewers.Dequeue(), "false positive: the user was travelling");
                        break;
                    case Step.Expire:
                        await trail.ExpireAsync(decision);
                        break;
                }
            }
        }

        return ids;
    }

    private const string Groups = """
        {
          "iam-approvers": ["ana.reviewer@example.com", "ben.reviewer@example.com"],
          "privileged-access-approvers": ["ana.reviewer@example.com", "ben.reviewer@example.com"],
          "soc-approvers": ["ana.reviewer@example.com", "ben.reviewer@example.com"],
          "secrets-approvers": ["ana.reviewer@example.com"]
        }
        """;

    private static string Module(string id, string owner, string group, string appliesTo, string body) =>
        $$"""export const policy = { id: "{{id}}", owner: "{{owner}}", approver_group: "{{group}}", applies_to: {{appliesTo}} };"""
        + "\nexport function decide(input, data) {\n" + body + "}\n";

    private static JsonObject Disable(string account, double confidence) => Account("iam.account.disable", account, confidence, "INC-2044");

    private static JsonObject Enable(string account, string? incident) => Account("iam.account.enable", account, 0.92, incident);

    private static JsonObject Account(string type, string account, double confidence, string? incident)
    {
        var context = new JsonObject { ["environment"] = "production" };
        if (incident is not null)
        {
            context["incident_id"] = incident;
        }

        return Request(type, "account", account, new JsonObject(), new JsonObject(), confidence, context);
    }

    private static JsonObject Grant(string principal, string role) =>
        Request("iam.role.grant", "principal", principal, new JsonObject(), new JsonObject { ["role"] = role, ["scope"] = "project/payments" }, 0.93, new JsonObject { ["environment"] = "production", ["ticket"] = "CHG-5521" });

    private static JsonObject Isolate(string host, string deviceClass) =>
        Request("host.isolate", "host", host, new JsonObject { ["device_class"] = deviceClass, ["site"] = "fra1" }, new JsonObject { ["duration"] = "4h" }, 0.88, new JsonObject { ["environment"] = "production", ["incident_id"] = "INC-2077" });

    private static JsonObject Secret(string secret) =>
        Request("secrets.read", "secret", secret, new JsonObject(), new JsonObject(), 0.97, new JsonObject { ["environment"] = "production" });

    private static JsonObject Request(string type, string kind, string id, JsonObject attributes, JsonObject parameters, double confidence, JsonObject context) => new()
    {
        ["request_id"] = string.Empty,
        ["agent"] = new JsonObject { ["id"] = "triage-bot", ["model"] = "gpt-x", ["model_version"] = "2026-02", ["session_id"] = "s-81f2", ["on_behalf_of"] = "alice@example.com" },
        ["action"] = new JsonObject
        {
            ["type"] = type,
            ["target"] = new JsonObject { ["kind"] = kind, ["id"] = id, ["attributes"] = attributes },
            ["parameters"] = parameters,
            ["rationale"] = $"{type} on {id} proposed by the triage agent",
            ["confidence"] = confidence,
            ["risk_score"] = 64.0, // the server builds every number as a double
        },
        ["context"] = context,
    };
}
