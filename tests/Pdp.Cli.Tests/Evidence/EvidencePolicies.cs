namespace Pdp.Cli.Tests.Evidence;

/// <summary>
/// Two policies with different control owners and overlapping framework references, each deciding by action type:
/// <c>*.allow</c>, <c>*.deny</c>, <c>*.human</c> (parameters <c>ttl</c> and <c>approvals</c> shape the review).
/// </summary>
internal static class EvidencePolicies
{
    public const string Agent = "agent-7";
    public const string Principal = "owner-1";

    public static readonly EvidenceDomain Access = new("access", "access-policy", "iam-team", ["SOC2:CC6.1", "ISO27001:A.9.2"]);
    public static readonly EvidenceDomain Payments = new("pay", "payments-policy", "finance-team", ["SOC2:CC6.1", "PCI-DSS:7.1"]);

    public static string CreateDirectory()
    {
        var dir = Directory.CreateTempSubdirectory("pdp-evidence-policies-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        foreach (var domain in new[] { Access, Payments })
        {
            File.WriteAllText(Path.Combine(dir, domain.Prefix + ".js"), $$"""
                export const policy = {
                  id: "{{domain.Policy}}", owner: "{{domain.Owner}}", approver_group: "approvers",
                  applies_to: ["{{domain.Prefix}}.*"], frameworks: [{{string.Join(", ", domain.Frameworks.Select(f => $"\"{f}\""))}}],
                };
                export function decide(input, data) {
                  const p = input.action.parameters;
                  switch (input.action.type) {
                    case "{{domain.Prefix}}.allow": return { verdict: "allow", reason: "allowed" };
                    case "{{domain.Prefix}}.deny": return { verdict: "deny", reason: "denied" };
                    case "{{domain.Prefix}}.human": return {
                      verdict: "require_human", reason: "a human decides",
                      review_ttl: typeof p.ttl === "string" ? p.ttl : "1h",
                      min_approvals: typeof p.approvals === "number" ? p.approvals : 1,
                    };
                  }
                  return undefined;
                }
                """);
        }

        File.WriteAllText(Path.Combine(dir, "data", "groups.json"), $$"""{ "approvers": ["rita", "sam", "tess", "{{Agent}}", "{{Principal}}"], "others": ["oscar"] }""");
        return dir;
    }
}

/// <summary>One policy of the scenario: its action-type prefix, id, control owner and framework references.</summary>
internal sealed record EvidenceDomain(string Prefix, string Policy, string Owner, string[] Frameworks);
