using System.Text;
using System.Text.Json.Nodes;
using Pdp.Review.Checkpoints;
using Pdp.Review.Events;
using Pdp.Review.Model;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>What a checkpoint stores from the trail state: each kept decision's record and, only where it has them, its review events.</summary>
public sealed class ReviewTrailStateTests
{
    [Fact]
    public void Snapshot_ReviewedAndUnreviewedDecisions_EveryRecordOnceInSeqOrder()
    {
        var state = new ReviewTrailState(retain: 10, TimeSpan.FromHours(1), maxWindowEntries: 100, TimeProvider.System);
        var reviewed = Facts(DecisionVerdict.RequireHuman);
        var plain = Facts(DecisionVerdict.Allow);
        var expiry = ReviewChange.Expiry(DateTimeOffset.UtcNow);
        var reviewedBytes = DecisionEventWriter.Write(reviewed, []);
        var plainBytes = DecisionEventWriter.Write(plain, []);
        var expiryBytes = Encoding.UTF8.GetBytes(ReviewEventJson.Write(reviewed.DecisionId, expiry).ToJsonString());

        state.Observe(1, DecisionEventJson.Type, reviewedBytes);
        state.Observe(2, DecisionEventJson.Type, plainBytes);
        state.Observe(3, ReviewEventJson.TypeOf(expiry), expiryBytes);

        // In any order (the checkpoint sorts them off the writer's lock): every record that rebuilds the state, once.
        var entries = state.Snapshot().OrderBy(e => e.Seq).ToList();
        Assert.Equal([1L, 2L, 3L], entries.Select(e => e.Seq));
        Assert.Equal([DecisionEventJson.Type, DecisionEventJson.Type, ReviewEventJson.TypeOf(expiry)], entries.Select(e => e.Type));
        Assert.Equal(reviewedBytes.ToArray(), entries[0].CanonicalPayload.ToArray());
        Assert.Equal(plainBytes.ToArray(), entries[1].CanonicalPayload.ToArray());
        Assert.Equal(expiryBytes, entries[2].CanonicalPayload.ToArray());
    }

    private static DecisionFacts Facts(DecisionVerdict verdict)
    {
        var review = verdict == DecisionVerdict.RequireHuman;
        return new DecisionFacts(Guid.CreateVersion7().ToString(), DateTimeOffset.UtcNow, new JsonObject { ["agent"] = new JsonObject { ["id"] = "a" } }, verdict, [], "o", new Dictionary<string, string>(), "rev", "p", "g", review ? DateTimeOffset.UtcNow.AddHours(1) : null, 1, string.Empty, string.Empty);
    }
}
