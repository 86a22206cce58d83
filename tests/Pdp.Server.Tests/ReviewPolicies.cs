using Google.Protobuf.WellKnownTypes;
using Pdp.Contracts.V1;

namespace Pdp.Server.Tests;

/// <summary>
/// A small policy set for review tests: the action type picks the verdict, and parameters choose the
/// review window and the number of approvals, so each test sets up exactly the review it needs.
/// </summary>
internal static class ReviewPolicies
{
    public const string Group = "reviewers";
    public const string Agent = "agent-7";
    public const string Principal = "owner-1";
    public const string EscalationGroup = "leads";
    public const string Lead = "lena";

    public static string CreateDirectory()
    {
        var dir = Directory.CreateTempSubdirectory("pdp-review-policies-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        File.WriteAllText(Path.Combine(dir, "review.js"), """
            export const policy = {
              id: "review-test", owner: "review-owner", approver_group: "reviewers",
              applies_to: ["review.*"], redact: ["action.parameters.password"],
            };
            export function decide(input, data) {
              const p = input.action.parameters;
              switch (input.action.type) {
                case "review.allow": return { verdict: "allow", reason: "allowed for the test" };
                case "review.deny": return { verdict: "deny", reason: "denied for the test" };
                case "review.human": return {
                  verdict: "require_human", reason: "a human decides",
                  review_ttl: typeof p.ttl === "string" ? p.ttl : "1h",
                  min_approvals: typeof p.approvals === "number" ? p.approvals : 1,
                  escalate_to: typeof p.escalate === "string" ? p.escalate : undefined,
                };
              }
              return undefined;
            }
            """);
        File.WriteAllText(Path.Combine(dir, "data", "groups.json"), $$"""{ "{{Group}}": ["rita", "sam", "tess", "{{Agent}}", "{{Principal}}"], "others": ["oscar"], "{{EscalationGroup}}": ["{{Lead}}"] }""");
        return dir;
    }

    /// <summary>A Decide request of <see cref="Agent"/> acting for <see cref="Principal"/>; ttl, approvals and escalation shape the review.</summary>
    public static DecideRequest Request(string actionType, string? ttl = null, int? approvals = null, string? password = null, string? escalateTo = null)
    {
        var request = new DecideRequest
        {
            Agent = new Agent { Id = Agent, OnBehalfOf = Principal },
            Action = new Pdp.Contracts.V1.Action { Type = actionType, Target = new Target { Kind = "account", Id = "target-1" }, Parameters = new Struct() },
        };
        if (ttl is not null)
        {
            request.Action.Parameters.Fields["ttl"] = Value.ForString(ttl);
        }

        if (approvals is not null)
        {
            request.Action.Parameters.Fields["approvals"] = Value.ForNumber(approvals.Value);
        }

        if (escalateTo is not null)
        {
            request.Action.Parameters.Fields["escalate"] = Value.ForString(escalateTo);
        }

        if (password is not null)
        {
            request.Action.Parameters.Fields["password"] = Value.ForString(password);
        }

        return request;
    }
}
