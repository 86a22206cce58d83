using Pdp.Review.Model;

namespace Pdp.Review.Rules;

/// <summary>
/// When a review escalates and what escalation allows. A require-human review with an escalation group that is still
/// pending at <c>fraction</c> of its window is escalated once: its escalation group is told and may decide it too.
/// The plan runs under the store's per-decision lock, so the escalation happens once for the fleet.
/// </summary>
public static class ReviewEscalation
{
    /// <summary>The moment a review decided at <paramref name="decidedAt"/> and expiring at <paramref name="expiresAt"/> escalates.</summary>
    public static DateTimeOffset PointOf(DateTimeOffset decidedAt, DateTimeOffset expiresAt, double fraction) =>
        decidedAt + TimeSpan.FromTicks((long)((expiresAt - decidedAt).Ticks * fraction));

    /// <summary>The escalation to record now, or null when the review is not (or no longer) due for one.</summary>
    public static ReviewChange? Plan(ReviewView current, double fraction, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        var (decision, review) = (current.Decision, current.Review);
        if (review.State != ReviewState.Pending || review.EscalatedAt is not null || decision.EscalationGroup.Length == 0
            || decision.ExpiresAt is not { } expires || now >= expires || now < PointOf(decision.DecidedAt, expires, fraction))
        {
            return null;
        }

        return ReviewChange.Escalation(now, decision.EscalationGroup);
    }

    /// <summary>Whether members of <paramref name="group"/> may decide the review: its approver group, or its escalation group once escalated.</summary>
    public static bool MayDecide(DecisionFacts decision, ReviewSnapshot review, string group)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(review);
        return string.Equals(group, decision.ApproverGroup, StringComparison.OrdinalIgnoreCase)
            || (review.EscalatedAt is not null && decision.EscalationGroup.Length > 0 && string.Equals(group, decision.EscalationGroup, StringComparison.OrdinalIgnoreCase));
    }
}
