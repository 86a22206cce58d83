using System.Text.Json.Nodes;
using Xunit;

namespace Pdp.Cli.Tests;

/// <summary>The tool against the policies the project ships, as an author would run it before a commit.</summary>
public sealed class ShippedPolicyCliTests
{
    [Fact]
    public void Check_ShippedPolicies_ExitsZero()
    {
        var result = Cli.Run("check", Cli.ShippedPolicies());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("ok: ", Assert.Single(result.OutLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ShippedPoliciesAgainstTheirActionCatalog_CoverEveryType()
    {
        var catalog = Path.Combine(Cli.ShippedPolicies(), "data", "action_catalog.json");

        var result = Cli.Run("check", Cli.ShippedPolicies(), "--require-coverage", catalog);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public void Test_ShippedPolicies_EveryCasePasses()
    {
        var expected = Directory.GetFiles(Cli.ShippedPolicies(), "*.test.json")
            .Sum(file => JsonNode.Parse(File.ReadAllText(file))!["cases"]!.AsArray().Count);

        var result = Cli.Run("test", Cli.ShippedPolicies());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(expected > 0);
        Assert.Equal($"{expected} passed, 0 failed", result.OutLines[^1]);
        Assert.Equal(expected, result.OutLines.Count(l => l.StartsWith("PASS ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Eval_ShippedPoliciesWithExplain_ShowsTheCatchAllAndTheDecidingPolicy()
    {
        const string input = """
            {
              "agent": { "id": "triage-bot", "on_behalf_of": "alice@example.com" },
              "action": {
                "type": "iam.account.disable",
                "target": { "kind": "account", "id": "bob@example.com" },
                "rationale": "impossible travel",
                "confidence": 0.95,
                "risk_score": 72
              },
              "context": { "environment": "production", "incident_id": "INC-1234" },
              "caller": { "authenticated": true, "transport": "mtls", "spiffe_id": "spiffe://example.org/agents/triage-bot", "trust_domain": "example.org" }
            }
            """;

        var result = Cli.RunWithStdin(input, "eval", Cli.ShippedPolicies(), "--explain");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        Assert.Equal("allow", (string?)json["verdict"]);
        Assert.Equal("iam-account-changes", (string?)json["reasons"]![0]!["policy_id"]);
        Assert.Equal("iam-platform-team", (string?)json["control_owner"]);
        var policies = json["policies"]!.AsArray().ToDictionary(p => (string)p!["id"]!, p => (string?)p!["verdict"]);
        Assert.Equal("not_applicable", policies["catch-all-guardrails"]);
        Assert.Equal("allow", policies["iam-account-changes"]);
        Assert.Equal(2, policies.Count);
    }

    [Fact]
    public void Eval_ShippedPoliciesUnknownActionType_DeniedByTheCatchAll()
    {
        var result = Cli.RunWithStdin("""{ "agent": { "id": "triage-bot" }, "action": { "type": "dns.record.delete" } }""", "eval", Cli.ShippedPolicies());

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("deny", (string?)result.Json["verdict"]);
        Assert.Equal("catch-all-guardrails", (string?)result.Json["reasons"]![0]!["policy_id"]);
    }
}
