using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pdp.Contracts.V1;
using Pdp.Server.Configuration;
using Pdp.Server.Reviews;
using Xunit;

namespace Pdp.Server.Tests;

public sealed class InMemoryDecisionStoreTests
{
    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 25)]
    [InlineData(100, 500)]
    public void Add_BeyondTheBound_ForgetsOldSettledDecisionsButNeverPendingReviews(int retain, int pending)
    {
        var options = new PdpOptions();
        options.Review.RetainDecisions = retain;
        var store = new InMemoryDecisionStore(Options.Create(options));
        var pendingIds = new List<string>();

        for (var i = 0; i < pending; i++)
        {
            var entry = Entry(Verdict.RequireHuman);
            pendingIds.Add(entry.DecisionId);
            store.Add(entry);
        }

        var settled = Enumerable.Range(0, retain * 20).Select(_ => Entry(Verdict.Allow)).ToArray();
        foreach (var entry in settled)
        {
            store.Add(entry);
        }

        Assert.All(pendingIds, id => Assert.NotNull(store.Find(id)));
        Assert.Equal(pending, store.Pending().Count());
        Assert.NotNull(store.Find(settled[^1].DecisionId));
        Assert.Null(store.Find(settled[0].DecisionId));

        // Bounded: the pending reviews, the bound, and at most one trim's worth of slack.
        Assert.True(store.Count <= Math.Max(retain, pending) + retain + 8, $"{store.Count} entries kept for a bound of {retain} with {pending} pending");
    }

    private static DecisionEntry Entry(Verdict verdict)
    {
        var id = Guid.CreateVersion7().ToString();
        var response = new DecideResponse { DecisionId = id, Verdict = verdict, ControlOwner = "o" };
        if (verdict == Verdict.RequireHuman)
        {
            response.Review = new Review { ApproverGroup = "g", MinApprovals = 1, ExpiresAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(1)) };
        }

        return new DecisionEntry(id, DateTimeOffset.UtcNow, new JsonObject { ["agent"] = new JsonObject { ["id"] = "a" } }, response, "p", "g", "sha256:x");
    }
}
