using System.Text.Json.Nodes;
using Pdp.Review.Model;
using Pdp.Review.Rules;
using static Pdp.Review.Events.DecisionEventJson;

namespace Pdp.Review.Events;

/// <summary>A refused disposition attempt as the trail's <c>refusal</c> record keeps it.</summary>
/// <param name="DecisionId">The decision the disposition was for.</param>
/// <param name="Reviewer">Who tried to record it.</param>
/// <param name="Outcome">The outcome asked for (<c>approved</c>, …, or <c>unspecified</c>).</param>
/// <param name="Rule">The rule that refused it, as <see cref="RefusalEventJson.RuleText"/> writes it.</param>
/// <param name="At">When it was refused; the record's own time for records written before this field.</param>
public sealed record RefusalEvent(string DecisionId, string Reviewer, string Outcome, string Rule, DateTimeOffset At);

/// <summary>
/// The <c>refusal</c> record: one place that names each <see cref="RefusalRule"/> in the trail, written by the server
/// when the review rules refuse a disposition and read back by the evidence report. It holds the reviewer, the rule,
/// the status kind, the message and the time — never the action's input or a token.
/// </summary>
public static class RefusalEventJson
{
    public const string Type = "refusal";

    public static JsonObject Write(string decisionId, DispositionCommand command, ReviewRefusedException refusal, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(refusal);
        return new JsonObject
        {
            ["decision_id"] = decisionId,
            ["reviewer"] = command.Reviewer,
            ["outcome"] = command.Outcome?.ToText() ?? "unspecified",
            ["refused"] = refusal.Kind.ToString(),
            ["rule"] = RuleText(refusal.Rule),
            ["reason"] = refusal.Message,
            ["refused_at"] = EventTime.Format(at),
        };
    }

    /// <param name="payload">A <c>refusal</c> record's payload.</param>
    /// <param name="recordTime">The record's time, used when the payload predates <c>refused_at</c>.</param>
    public static RefusalEvent Read(JsonObject payload, DateTimeOffset recordTime)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var at = Text(payload, "refused_at") is { Length: > 0 } text ? EventTime.Parse(text) : recordTime;
        var rule = Text(payload, "rule") is { Length: > 0 } named ? named : RuleText(RefusalRule.Unspecified);
        return new RefusalEvent(Text(payload, "decision_id"), Text(payload, "reviewer"), Text(payload, "outcome"), rule, at);
    }

    /// <summary>The rule's name in the trail: snake_case, stable across releases (the enum's names may change).</summary>
    public static string RuleText(RefusalRule rule) => rule switch
    {
        RefusalRule.InvalidField => "invalid_field",
        RefusalRule.SelfApproval => "self_approval",
        RefusalRule.NotInGroup => "not_in_group",
        RefusalRule.AfterExpiry => "after_expiry",
        RefusalRule.AlreadySettled => "already_settled",
        RefusalRule.DuplicateApproval => "duplicate_approval",
        RefusalRule.FourEyesModify => "four_eyes_modify",
        RefusalRule.NotReviewable => "not_reviewable",
        RefusalRule.Recorder => "recorder",
        RefusalRule.ReviewerMismatch => "reviewer_mismatch",
        _ => "unspecified",
    };
}
