using System.Text.Json.Nodes;
using Pdp.Review.Model;
using static Pdp.Review.Events.DecisionEventJson;

namespace Pdp.Review.Events;

/// <summary>
/// The payloads of review events (<c>disposition</c>, <c>expiry</c>, <c>approval_use</c>, <c>escalation</c>): one shape in the
/// local trail and in the shared store's chain, written from a <see cref="ReviewChange"/> and read back into one.
/// </summary>
public static class ReviewEventJson
{
    public const string DispositionType = "disposition";
    public const string ExpiryType = "expiry";
    public const string ApprovalUseType = "approval_use";
    public const string EscalationType = "escalation";

    public static string TypeOf(ReviewChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Kind switch
        {
            ReviewChangeKind.Disposition => DispositionType,
            ReviewChangeKind.Expiry => ExpiryType,
            ReviewChangeKind.Escalation => EscalationType,
            _ => ApprovalUseType,
        };
    }

    public static bool IsReviewEvent(string type) => type is DispositionType or ExpiryType or ApprovalUseType or EscalationType;

    /// <param name="extra">Fields a store adds (the instance that recorded it); written after the change's own.</param>
    public static JsonObject Write(string decisionId, ReviewChange change, IEnumerable<KeyValuePair<string, JsonNode?>>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        var payload = change.Kind switch
        {
            ReviewChangeKind.Disposition => new JsonObject
            {
                ["decision_id"] = decisionId,
                ["reviewer"] = change.Reviewer,
                ["outcome"] = change.Outcome.ToText(),
                ["justification"] = change.Justification,
                ["parameters"] = change.Parameters?.DeepClone(),
                ["action_digest"] = change.ActionDigest,
                ["override"] = DispositionEntry.IsOverrideOutcome(change.Outcome),
                ["state"] = change.State.ToString().ToLowerInvariant(),
                ["settles"] = change.Settles,
                ["approved_digest"] = change.ApprovedDigest,
                ["recorded_at"] = EventTime.Format(change.At),
            },
            ReviewChangeKind.Expiry => new JsonObject { ["decision_id"] = decisionId, ["expired_at"] = EventTime.Format(change.At) },
            ReviewChangeKind.Escalation => new JsonObject { ["decision_id"] = decisionId, ["escalated_at"] = EventTime.Format(change.At), ["escalation_group"] = change.EscalationGroup },
            _ => new JsonObject
            {
                ["decision_id"] = decisionId,
                ["use_id"] = change.UseId,
                ["used_at"] = EventTime.Format(change.At),
                ["action_digest"] = change.ActionDigest,
                ["approved_digest"] = change.ApprovedDigest,
                ["input"] = change.UseInput?.DeepClone(),
            },
        };
        if (change.Kind == ReviewChangeKind.Disposition)
        {
            // Written only when there is something to say, so records of unverified tools keep their old shape.
            if (change.ReviewerIssuer.Length > 0)
            {
                payload["reviewer_issuer"] = change.ReviewerIssuer;
                payload["reviewer_subject"] = change.ReviewerSubject;
            }

            if (change.FirstShownAt is { } shown)
            {
                payload["first_shown_at"] = EventTime.Format(shown);
            }

            if (change.RubberStamp)
            {
                payload["rubber_stamp"] = true;
            }
        }

        foreach (var (key, value) in extra ?? [])
        {
            payload[key] = value;
        }

        return payload;
    }

    /// <summary>The change a review event records; null for a type that is not a review event.</summary>
    /// <exception cref="FormatException">A disposition with no known outcome or state.</exception>
    public static ReviewChange? Read(string type, JsonObject payload, long seq)
    {
        ArgumentNullException.ThrowIfNull(payload);
        switch (type)
        {
            case DispositionType:
                var outcome = ReviewText.ParseOutcome(Text(payload, "outcome")) ?? throw new FormatException($"disposition record {seq} has no known outcome");
                if (!Enum.TryParse<ReviewState>(Text(payload, "state"), ignoreCase: true, out var state))
                {
                    throw new FormatException($"disposition record {seq} has no known state");
                }

                var settles = payload["settles"] is JsonValue s && s.TryGetValue<bool>(out var b) && b;
                var transition = new Rules.DispositionTransition(state, settles, Text(payload, "approved_digest"), Text(payload, "action_digest"));
                var issuer = Text(payload, "reviewer_issuer");
                var proof = issuer.Length > 0 ? new Rules.ReviewerProof(issuer, Text(payload, "reviewer_subject"), null) : null;
                var shown = Text(payload, "first_shown_at") is { Length: > 0 } shownText ? EventTime.Parse(shownText) : (DateTimeOffset?)null;
                var stamp = payload["rubber_stamp"] is JsonValue r && r.TryGetValue<bool>(out var flagged) && flagged;
                return ReviewChange.Disposition(Text(payload, "reviewer"), outcome, Text(payload, "justification"), payload["parameters"] as JsonObject, transition, EventTime.Parse(Text(payload, "recorded_at")), proof, shown, stamp);
            case ExpiryType:
                return ReviewChange.Expiry(EventTime.Parse(Text(payload, "expired_at")));
            case EscalationType:
                return ReviewChange.Escalation(EventTime.Parse(Text(payload, "escalated_at")), Text(payload, "escalation_group"));
            case ApprovalUseType:
                return ReviewChange.ApprovalUsed(Text(payload, "use_id"), EventTime.Parse(Text(payload, "used_at")), Text(payload, "action_digest"), Text(payload, "approved_digest"), payload["input"] as JsonObject ?? []);
            default:
                return null;
        }
    }

    public static string DecisionIdOf(JsonObject payload) => Text(payload, "decision_id");
}
