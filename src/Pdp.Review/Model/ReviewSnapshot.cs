namespace Pdp.Review.Model;

/// <summary>A decision's review state at one moment; immutable, safe to hand to any thread.</summary>
/// <param name="EscalatedAt">When the review was escalated to the decision's escalation group; null while it is not.</param>
public sealed record ReviewSnapshot(ReviewState State, IReadOnlyList<DispositionEntry> Dispositions, DateTimeOffset? SettledAt, string ApprovedDigest, DateTimeOffset? EscalatedAt = null)
{
    public int Approvals => Dispositions.Count(d => d.Outcome == ReviewOutcome.Approved);

    public bool Overridden => Dispositions.Any(d => d.IsOverride);

    /// <summary>The state a decision starts in: pending when a human must review it, otherwise not required.</summary>
    public static ReviewSnapshot Initial(DecisionVerdict verdict) =>
        new(verdict == DecisionVerdict.RequireHuman ? ReviewState.Pending : ReviewState.NotRequired, [], null, string.Empty);
}
