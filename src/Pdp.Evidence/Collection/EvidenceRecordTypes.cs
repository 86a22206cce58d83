using Pdp.Review.Events;

namespace Pdp.Evidence.Collection;

/// <summary>
/// Which trail record types the report reads, and what each counts as. Escalations are counted from the record type
/// alone (its <c>decision_id</c>, and <c>escalated_at</c> or else the record's time), so a new escalation record needs
/// only its type listed here.
/// </summary>
public static class EvidenceRecordTypes
{
    /// <summary>Record types counted as an escalated review. <c>escalation</c> follows the trail's noun naming (<c>expiry</c>, <c>refusal</c>); <c>review.escalated</c> is accepted too.</summary>
    public static readonly IReadOnlySet<string> Escalation = new HashSet<string>(StringComparer.Ordinal) { "escalation", "review.escalated" };

    /// <summary>Whether the report reads records of <paramref name="type"/> at all (the rest are verified, not counted).</summary>
    public static bool IsRead(string type) =>
        type is DecisionEventJson.Type or PolicyLoadEventJson.Type or RefusalEventJson.Type || ReviewEventJson.IsReviewEvent(type) || Escalation.Contains(type);
}
