using System.Text.Json.Nodes;
using Pdp.Review.Model;
using Pdp.Review.Rules;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// Who may decide an escalated review, as the rules say it (the server runs the same rules: ReviewRulesTests.Escalation.cs):
/// the escalation group only once escalated, by <c>data.groups</c> or by a token's groups, and never the agent or the
/// principal it acts for.
/// </summary>
public sealed class EscalationRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 6, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, bool, string?, bool> Cases() => new()
    {
        // reviewer, escalated, the token's one group (null: membership from data.groups), allowed
        { "lena", false, null, false },
        { "lena", true, null, true },
        { "rita", true, null, true },
        { "oscar", true, null, false },
        { "lena", false, "leads", false },
        { "lena", true, "leads", true },
        { "lena", true, "others", false },
        { "agent-7", true, null, false },
        { "owner-1", true, "leads", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Check_EscalationGroupMember_AllowedOnlyOnceEscalated(string reviewer, bool escalated, string? tokenGroup, bool allowed)
    {
        var decision = new DecisionFacts(
            Guid.CreateVersion7().ToString(), Now.AddMinutes(-40), new JsonObject { ["agent"] = new JsonObject { ["id"] = "agent-7", ["on_behalf_of"] = "owner-1" } },
            DecisionVerdict.RequireHuman, [], "owner", new Dictionary<string, string>(), "rev", "p", "reviewers", Now.AddMinutes(20), 1, "sha256:x", string.Empty)
        {
            EscalationGroup = "leads",
        };
        var review = ReviewSnapshot.Initial(DecisionVerdict.RequireHuman) with { EscalatedAt = escalated ? Now.AddMinutes(-10) : null };
        var proof = tokenGroup is null ? null : new ReviewerProof("https://idp.example", reviewer, [tokenGroup]);
        var command = new DispositionCommand(decision.DecisionId, reviewer, ReviewOutcome.Approved, string.Empty, null, RecordingCaller.Anonymous, proof);
        string[] members = ["rita", "agent-7", "owner-1"];
        string[] leads = ["lena", "agent-7", "owner-1"];

        var check = () => DispositionRules.Check(decision, review, command, members, new RecorderPolicy(false, []), Now, leads);

        if (allowed)
        {
            Assert.Equal(ReviewState.Approved, check().State);
        }
        else
        {
            Assert.Equal(RefusalKind.PermissionDenied, Assert.Throws<ReviewRefusedException>(check).Kind);
        }
    }
}
