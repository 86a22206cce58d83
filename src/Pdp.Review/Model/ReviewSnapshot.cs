namespace Pdp.Review.Model;

/// <summary>A decision's review state at one moment; immutable, safe to hand to any thread.</summary>
/// <param name="EscalatedAt">When the review was escalated to the decision's escalation group; null while it is not.</param>
public sealed record ReviewSnapshot(ReviewState State, IReadOnlyList<DispositionEntry> Dispositions, DateTimeOffset? SettledAt, string ApprovedDigest, DateTimeOffset? EscalatedAt = null)
{
    public int Approvals => Dispositions.Count(d => d.Outcome == ReviewOutcome.Approved);

    public bool Overridden => Dispositions.Any(d => d.IsOverride);

    // Shared: every retained decision starts in one of these, and a snapshot per decision was 88 bytes the young
    // collections copied twice (the store and the trail state each kept one) before a review ever changed it.
    private static readonly ReviewSnapshot PendingReview = new(ReviewState.Pending, [], null, string.Empty);
    private static readonly ReviewSnapshot NoReview = new(ReviewState.NotRequired, [], null, string.Empty);

    /// <summary>The state a decision starts in: pending when a human must review it, otherwise not required.</summary>
    public static ReviewSnapshot Initial(DecisionVerdict verdict) => verdict == DecisionVerdict.RequireHuman ? PendingReview : NoReview;
}
