using Pdp.Review.Model;

namespace Pdp.Evidence.Collection;

/// <summary>What the report keeps of a decision record: the few fields its figures group and time by.</summary>
internal sealed record DecisionNote(
    string DecisionId,
    DateTimeOffset DecidedAt,
    DecisionVerdict Verdict,
    string Owner,
    string Policy,
    IReadOnlyList<string> ReasonPolicies,
    string Revision,
    int MinApprovals,
    string ActionType);

/// <summary>What a review record counts as. Escalations are counted by record type (<see cref="EvidenceRecordTypes"/>).</summary>
internal enum ReviewKind
{
    Approved,
    Rejected,
    Modified,
    Reversed,
    Expired,
    Escalated,
    Refused,
}

/// <summary>One review record: its kind, decision, time, and what the figures need of it.</summary>
/// <param name="Settles">A disposition that settled the review (the last approval of a four-eyes decision, a rejection, …).</param>
/// <param name="Rule">For a refusal, the rule that refused it.</param>
internal sealed record ReviewNote(ReviewKind Kind, string DecisionId, DateTimeOffset At, string Reviewer, bool RubberStamp, bool Settles, string Rule)
{
    public bool IsDisposition => Kind is ReviewKind.Approved or ReviewKind.Rejected or ReviewKind.Modified or ReviewKind.Reversed;

    public bool IsOverride => Kind is ReviewKind.Rejected or ReviewKind.Modified or ReviewKind.Reversed;
}
