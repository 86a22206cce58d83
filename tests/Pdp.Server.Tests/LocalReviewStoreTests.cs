using System.Text.Json.Nodes;
using Pdp.Review.Model;
using Pdp.Review.Store;
using Xunit;

namespace Pdp.Server.Tests;

public sealed class LocalReviewStoreTests
{
    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 25)]
    [InlineData(100, 500)]
    public async Task Add_BeyondTheBound_ForgetsOldSettledDecisionsButNeverPendingReviews(int retain, int pending)
    {
        var store = new LocalReviewStore(new CountingJournal(), retain);
        var pendingIds = new List<string>();
        var ct = TestContext.Current.CancellationToken;

        for (var i = 0; i < pending; i++)
        {
            var facts = Facts(DecisionVerdict.RequireHuman);
            pendingIds.Add(facts.DecisionId);
            await store.AddAsync(facts, ct);
        }

        var settled = Enumerable.Range(0, retain * 20).Select(_ => Facts(DecisionVerdict.Allow)).ToArray();
        foreach (var facts in settled)
        {
            await store.AddAsync(facts, ct);
        }

        foreach (var id in pendingIds)
        {
            Assert.NotNull(await store.FindAsync(id, ct));
        }

        Assert.Equal(pending, store.PendingCounts().Values.Sum());
        Assert.NotNull(await store.FindAsync(settled[^1].DecisionId, ct));
        Assert.Null(await store.FindAsync(settled[0].DecisionId, ct));

        // Bounded: the pending reviews, the bound, and at most one trim's worth of slack.
        Assert.True(store.Count <= Math.Max(retain, pending) + retain + 8, $"{store.Count} entries kept for a bound of {retain} with {pending} pending");
    }

    [Fact]
    public async Task PendingAsync_SeveralGroups_OnlyTheseGroupsPendingSoonestExpiryFirstAndBounded()
    {
        var store = new LocalReviewStore(new CountingJournal(), 100);
        var ct = TestContext.Current.CancellationToken;
        var late = Facts(DecisionVerdict.RequireHuman) with { ApproverGroup = "G", ExpiresAt = DateTimeOffset.UtcNow.AddHours(2) };
        var soon = Facts(DecisionVerdict.RequireHuman) with { ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5) };
        var other = Facts(DecisionVerdict.RequireHuman) with { ApproverGroup = "other" };
        var settled = Facts(DecisionVerdict.RequireHuman);
        foreach (var facts in new[] { late, soon, other, settled })
        {
            await store.AddAsync(facts, ct);
        }

        await store.ChangeAsync(settled.DecisionId, _ => ReviewChange.Expiry(DateTimeOffset.UtcNow), ct);

        Assert.Equal([soon.DecisionId, late.DecisionId], (await store.PendingAsync(["g"], 10, ct)).Select(v => v.Decision.DecisionId));
        Assert.Single(await store.PendingAsync(["g"], 1, ct));
        Assert.Empty(await store.PendingAsync([], 10, ct));
    }

    [Fact]
    public async Task Feed_NewReviewAndChange_EachPublishedUntilUnsubscribed()
    {
        var store = new LocalReviewStore(new CountingJournal(), 10);
        var ct = TestContext.Current.CancellationToken;
        var seen = new List<string>();
        var subscription = store.Feed.Subscribe(seen.Add);
        var review = Facts(DecisionVerdict.RequireHuman);

        await store.AddAsync(Facts(DecisionVerdict.Allow), ct);
        await store.AddAsync(review, ct);
        await store.ChangeAsync(review.DecisionId, _ => ReviewChange.Expiry(DateTimeOffset.UtcNow), ct);
        subscription.Dispose();
        await store.AddAsync(Facts(DecisionVerdict.RequireHuman), ct);

        Assert.Equal([review.DecisionId, review.DecisionId], seen);
        Assert.Equal(0, store.Feed.Count);
    }

    [Fact]
    public async Task ChangeAsync_PlanReturnsNothing_RecordsNothing()
    {
        var journal = new CountingJournal();
        var store = new LocalReviewStore(journal, 10);
        var facts = Facts(DecisionVerdict.RequireHuman);
        var ct = TestContext.Current.CancellationToken;
        await store.AddAsync(facts, ct);

        var result = await store.ChangeAsync(facts.DecisionId, _ => null, ct);

        Assert.NotNull(result);
        Assert.Null(result.Applied);
        Assert.Equal(0, journal.Count);
        Assert.Equal(ReviewState.Pending, result.View.Review.State);
    }

    [Fact]
    public async Task EscalationDue_PastTheFraction_EscalatesOnceAndTheReviewJoinsTheEscalationGroupsQueue()
    {
        var store = new LocalReviewStore(new CountingJournal(), 100);
        var ct = TestContext.Current.CancellationToken;
        var now = DateTimeOffset.UtcNow;
        var due = Facts(DecisionVerdict.RequireHuman) with { DecidedAt = now.AddMinutes(-40), ExpiresAt = now.AddMinutes(20), EscalationGroup = "leads" };
        var early = Facts(DecisionVerdict.RequireHuman) with { DecidedAt = now.AddMinutes(-20), ExpiresAt = now.AddMinutes(40), EscalationGroup = "leads" };
        var none = Facts(DecisionVerdict.RequireHuman) with { DecidedAt = now.AddMinutes(-50), ExpiresAt = now.AddMinutes(10) };
        foreach (var facts in new[] { due, early, none })
        {
            await store.AddAsync(facts, ct);
        }

        var queueBefore = await store.PendingAsync(["LEADS"], 10, ct);
        var found = await store.EscalationDueAsync(now, 0.5, 10, ct);
        var first = await store.ChangeAsync(due.DecisionId, v => Pdp.Review.Rules.ReviewEscalation.Plan(v, 0.5, now), ct);
        var second = await store.ChangeAsync(due.DecisionId, v => Pdp.Review.Rules.ReviewEscalation.Plan(v, 0.5, now), ct);

        Assert.Empty(queueBefore);
        Assert.Equal([due.DecisionId], found);
        Assert.Equal(now, first!.View.Review.EscalatedAt);
        Assert.Equal(ReviewState.Pending, first.View.Review.State);
        Assert.Null(second!.Applied);
        Assert.Empty(await store.EscalationDueAsync(now, 0.5, 10, ct));
        Assert.Equal([due.DecisionId], (await store.PendingAsync(["leads"], 10, ct)).Select(v => v.Decision.DecisionId));
        Assert.Equal(3, (await store.PendingAsync(["g"], 10, ct)).Count);
    }

    private static DecisionFacts Facts(DecisionVerdict verdict)
    {
        var id = Guid.CreateVersion7().ToString();
        var review = verdict == DecisionVerdict.RequireHuman;
        return new DecisionFacts(id, DateTimeOffset.UtcNow, new JsonObject { ["agent"] = new JsonObject { ["id"] = "a" } }, verdict, [], "o", new Dictionary<string, string>(), "rev", "p", "g", review ? DateTimeOffset.UtcNow.AddHours(1) : null, 1, "sha256:x", string.Empty);
    }

    private sealed class CountingJournal : IReviewJournal
    {
        public int Count { get; private set; }

        public ValueTask<long> RecordAsync(DecisionFacts decision, ReviewChange change, CancellationToken cancellationToken) => ValueTask.FromResult((long)++Count);
    }
}
