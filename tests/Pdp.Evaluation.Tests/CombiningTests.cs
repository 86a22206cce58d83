using Pdp.Evaluation.Results;
using Xunit;

namespace Pdp.Evaluation.Tests;

public sealed class CombiningTests
{
    [Theory]
    [InlineData("allow", "allow", "allow", "a")]
    [InlineData("allow", "deny", "deny", "b")]
    [InlineData("deny", "allow", "deny", "a")]
    [InlineData("require_human", "allow", "require_human", "a")]
    [InlineData("allow", "require_human", "require_human", "b")]
    [InlineData("require_human", "deny", "deny", "b")]
    [InlineData("require_human", "require_human", "require_human", "a")]
    [InlineData("none", "allow", "allow", "b")]
    [InlineData("none", "none", "deny", null)]
    public void Evaluate_TwoPolicies_CombinesByStrengthAndNamesDecidingOwner(string first, string second, string expected, string? decidingPolicy)
    {
        static string Body(string verdict) => verdict == "none" ? "return undefined;" : $"return {{ verdict: \"{verdict}\", reason: \"said {verdict}\" }};";
        var set = TestPolicies.Load(files: [("a.js", TestPolicies.Module("a", Body(first))), ("b.js", TestPolicies.Module("b", Body(second)))]);
        var options = new EvaluationOptions();

        var decision = new PolicyEvaluator(set, options).Decide();

        Assert.Equal(expected, decision.Verdict.ToText());
        Assert.Equal(decidingPolicy, decision.DecidingPolicyId);
        Assert.Equal(decidingPolicy is null ? options.DefaultOwner : "owner-of-" + decidingPolicy, decision.ControlOwner);
        Assert.Equal(set.Revision, decision.PolicyRevision);
    }

    [Theory]
    [InlineData("deny")]
    [InlineData("allow")]
    [InlineData("require_human")]
    public void Evaluate_NoPolicyApplies_ReturnsConfiguredDefault(string defaultVerdict)
    {
        var set = TestPolicies.Load(files: [("a.js", TestPolicies.Module("a", "return { verdict: 'allow' };", appliesTo: "[\"secrets.*\"]"))]);
        Assert.True(VerdictText.TryParse(defaultVerdict, out var verdict));
        var options = new EvaluationOptions { DefaultVerdict = verdict, DefaultOwner = "platform-owner", DefaultApproverGroup = "oncall" };

        var decision = new PolicyEvaluator(set, options).Decide("iam.account.disable");

        Assert.Equal(defaultVerdict, decision.Verdict.ToText());
        Assert.Equal("platform-owner", decision.ControlOwner);
        Assert.Equal(DecisionCombiner.DefaultPolicyId, Assert.Single(decision.Reasons).PolicyId);
        Assert.Empty(decision.Outcomes);
    }

    [Theory]
    [InlineData("iam.account.disable", "[\"iam.*\"]", true)]
    [InlineData("iam.account.disable", "[\"iam.account.*\"]", true)]
    [InlineData("iam.account.disable", "[\"iam.account.disable\"]", true)]
    [InlineData("iam.account.disable", "[\"iam.account\"]", false)]
    [InlineData("iam", "[\"iam.*\"]", false)]
    [InlineData("iamx.account", "[\"iam.*\"]", false)]
    [InlineData("secrets.read", "[\"*\"]", true)]
    public void Evaluate_AppliesToPatterns_ConsultOnlyMatchingPolicies(string actionType, string patterns, bool consulted)
    {
        var set = TestPolicies.Load(files: [("a.js", TestPolicies.Module("a", "return { verdict: 'allow', reason: 'ok' };", appliesTo: patterns))]);

        var decision = new PolicyEvaluator(set, new EvaluationOptions()).Decide(actionType);

        Assert.Equal(consulted ? Verdict.Allow : Verdict.Deny, decision.Verdict);
    }

    [Fact]
    public void Evaluate_RequireHuman_TakesShortestTtlLargestApprovalsAndFirstGroup()
    {
        var set = TestPolicies.Load(files:
        [
            ("a.js", TestPolicies.Module("a", "return { verdict: 'require_human', reason: 'a', review_ttl: '2h', min_approvals: 1, obligations: { ttl: '15m' } };", approverGroup: "group-a")),
            ("b.js", TestPolicies.Module("b", "return { verdict: 'require_human', reason: 'b', review_ttl: '10m', min_approvals: 2, obligations: { ttl: '5m', notify: 'soc' } };", approverGroup: "group-b")),
        ]);

        var decision = new PolicyEvaluator(set, new EvaluationOptions()).Decide();

        Assert.Equal(Verdict.RequireHuman, decision.Verdict);
        Assert.Equal("group-a", decision.ApproverGroup);
        Assert.Equal(TimeSpan.FromMinutes(10), decision.ReviewTtl);
        Assert.Equal(2, decision.MinApprovals);
        Assert.Equal("15m", decision.Obligations["ttl"]);
        Assert.Equal("soc", decision.Obligations["notify"]);
        Assert.Equal(["a", "b"], decision.Reasons.Select(r => r.PolicyId));
    }

    [Theory]
    [InlineData("", "", "", Verdict.RequireHuman, "")]
    [InlineData("", "", "duty-managers", Verdict.RequireHuman, "duty-managers")]
    [InlineData("escalation_group: \"leads\",", "", "", Verdict.RequireHuman, "leads")]
    [InlineData("escalation_group: \"leads\",", "", "duty-managers", Verdict.RequireHuman, "leads")]
    [InlineData("escalation_group: \"leads\",", "escalate_to: \"ciso\",", "duty-managers", Verdict.RequireHuman, "ciso")]
    [InlineData("", "escalate_to: \"ciso\",", "", Verdict.RequireHuman, "ciso")]
    [InlineData("", "escalate_to: \"\",", "", Verdict.Deny, "")]
    [InlineData("", "escalate_to: 7,", "duty-managers", Verdict.Deny, "")]
    public void Evaluate_EscalationNamed_ResultOverMetadataOverDefaultAndInvalidFailsClosed(string metadata, string result, string configured, Verdict verdict, string escalation)
    {
        var source = $$"""
            export const policy = { id: "a", owner: "o", approver_group: "g", {{metadata}} applies_to: ["*"] };
            export function decide() { return { verdict: "require_human", {{result}} reason: "check" }; }
            """;
        var set = TestPolicies.Load(files: [("a.js", source)]);

        var decision = new PolicyEvaluator(set, new EvaluationOptions { DefaultEscalationGroup = configured }).Decide();

        Assert.Equal(verdict, decision.Verdict);
        Assert.Equal(escalation, decision.EscalationGroup);
        if (verdict == Verdict.Deny)
        {
            Assert.Contains("escalate_to", decision.Reasons[0].Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(Verdict.RequireHuman, "duty-managers")]
    [InlineData(Verdict.Deny, "")]
    public void Evaluate_NoPolicyApplies_DefaultVerdictEscalatesOnlyWhenItIsAReview(Verdict fallback, string escalation)
    {
        var set = TestPolicies.Load(files: [("a.js", """
            export const policy = { id: "a", owner: "o", approver_group: "g", applies_to: ["other.*"] };
            export function decide() { return { verdict: "allow", reason: "never asked" }; }
            """)]);
        var options = new EvaluationOptions { DefaultVerdict = fallback, DefaultApproverGroup = "g", DefaultEscalationGroup = "duty-managers" };

        var decision = new PolicyEvaluator(set, options).Decide();

        Assert.Equal(fallback, decision.Verdict);
        Assert.Equal(escalation, decision.EscalationGroup);
    }

    [Fact]
    public void Evaluate_RequireHumanWithoutAnyApproverGroup_FailsClosed()
    {
        var source = """
            export const policy = { id: "a", owner: "o", applies_to: ["*"] };
            export function decide() { return { verdict: "require_human", reason: "check" }; }
            """;
        var set = TestPolicies.Load(files: [("a.js", source)]);

        var decision = new PolicyEvaluator(set, new EvaluationOptions()).Decide();

        Assert.Equal(Verdict.Deny, decision.Verdict);
        Assert.Contains("names no approver group", decision.Reasons[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ReviewTtlAboveMaximum_IsCapped()
    {
        var set = TestPolicies.Load(files: [("a.js", TestPolicies.Module("a", "return { verdict: 'require_human', reason: 'r', review_ttl: '30d' };"))]);

        var decision = new PolicyEvaluator(set, new EvaluationOptions { MaxReviewTtl = TimeSpan.FromHours(4) }).Decide();

        Assert.Equal(TimeSpan.FromHours(4), decision.ReviewTtl);
    }
}
