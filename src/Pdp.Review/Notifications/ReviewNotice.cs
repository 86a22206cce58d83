using System.Text.Json.Nodes;
using Pdp.Audit.Redaction;
using Pdp.Review.Events;
using Pdp.Review.Model;

namespace Pdp.Review.Notifications;

/// <summary>What a notification is about.</summary>
public enum NoticeKind
{
    Opened,
    Settled,
    Expired,
    Escalated,
}

/// <summary>
/// What reviewers are told about one review event: enough to decide whether to open it, and nothing a redaction list
/// masks or the request's parameters and attributes might hold (only the action type and the target's kind and id, left
/// out when masked). Its <see cref="Id"/> is fixed by the decision and the kind — each happens once per review — so a
/// notification retried, re-delivered after a restart or produced by another replica carries the same id and
/// receivers drop the copy.
/// </summary>
public sealed record ReviewNotice(
    NoticeKind Kind,
    string DecisionId,
    DateTimeOffset At,
    string ActionType,
    string TargetKind,
    string TargetId,
    string ApproverGroup,
    string EscalationGroup,
    string ControlOwner,
    string PolicyId,
    DateTimeOffset? ExpiresAt,
    string State)
{
    public string Id => $"{DecisionId}.{KindText(Kind)}";

    /// <summary>The approver groups whose endpoints hear of it: the approver group, and the escalation group once it escalated.</summary>
    public IReadOnlyList<string> Groups => Escalated && EscalationGroup.Length > 0 ? [ApproverGroup, EscalationGroup] : [ApproverGroup];

    /// <summary>Whether the review had been escalated when this happened.</summary>
    public bool Escalated { get; init; }

    /// <summary>The notice for a new require-human decision; null for other verdicts.</summary>
    public static ReviewNotice? Opened(DecisionFacts decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return decision.Verdict == DecisionVerdict.RequireHuman ? Of(NoticeKind.Opened, decision, decision.DecidedAt, ReviewState.Pending, escalated: false) : null;
    }

    /// <summary>The notice a recorded change gives (settled, expired, escalated), or null for one nobody is told of.</summary>
    /// <param name="decision">The decision.</param>
    /// <param name="change">The change as recorded.</param>
    /// <param name="after">The review after it.</param>
    public static ReviewNotice? Of(DecisionFacts decision, ReviewChange change, ReviewSnapshot after)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(after);
        if (decision.Verdict != DecisionVerdict.RequireHuman)
        {
            return null;
        }

        NoticeKind? kind = change.Kind switch
        {
            ReviewChangeKind.Escalation => NoticeKind.Escalated,
            ReviewChangeKind.Expiry => NoticeKind.Expired,
            ReviewChangeKind.Disposition when change.Settles => NoticeKind.Settled,
            _ => null,
        };
        return kind is { } k ? Of(k, decision, change.At, after.State, after.EscalatedAt is not null) : null;
    }

    public static string KindText(NoticeKind kind) => kind switch
    {
        NoticeKind.Opened => "opened",
        NoticeKind.Settled => "settled",
        NoticeKind.Expired => "expired",
        _ => "escalated",
    };

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["kind"] = KindText(Kind),
            ["decision_id"] = DecisionId,
            ["at"] = EventTime.Format(At),
            ["action_type"] = ActionType,
            ["target_kind"] = TargetKind,
            ["target_id"] = TargetId,
            ["approver_group"] = ApproverGroup,
            ["escalation_group"] = EscalationGroup,
            ["control_owner"] = ControlOwner,
            ["policy_id"] = PolicyId,
            ["state"] = State,
            ["escalated"] = Escalated,
        };
        if (ExpiresAt is { } expires)
        {
            json["expires_at"] = EventTime.Format(expires);
        }

        return json;
    }

    /// <exception cref="FormatException">Not a notice this version writes.</exception>
    public static ReviewNotice FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var kindText = Text(json, "kind");
        var kind = Enum.GetValues<NoticeKind>().Cast<NoticeKind?>().FirstOrDefault(k => KindText(k!.Value) == kindText) ?? throw new FormatException($"notice of unknown kind '{kindText}'");
        var expires = Text(json, "expires_at") is { Length: > 0 } at ? EventTime.Parse(at) : (DateTimeOffset?)null;
        return new ReviewNotice(kind, Text(json, "decision_id"), EventTime.Parse(Text(json, "at")), Text(json, "action_type"), Text(json, "target_kind"), Text(json, "target_id"), Text(json, "approver_group"), Text(json, "escalation_group"), Text(json, "control_owner"), Text(json, "policy_id"), expires, Text(json, "state"))
        {
            Escalated = json["escalated"] is JsonValue v && v.TryGetValue<bool>(out var b) && b,
        };
    }

    private static ReviewNotice Of(NoticeKind kind, DecisionFacts decision, DateTimeOffset at, ReviewState state, bool escalated)
    {
        var action = decision.RecordedInput["action"] as JsonObject;
        var target = action?["target"] as JsonObject;
        return new ReviewNotice(kind, decision.DecisionId, at, Text(action, "type"), Unmasked(Text(target, "kind")), Unmasked(Text(target, "id")), decision.ApproverGroup, decision.EscalationGroup, decision.ControlOwner, decision.PolicyId, decision.ExpiresAt, StateText(state))
        {
            Escalated = escalated,
        };
    }

    private static string StateText(ReviewState state) => state == ReviewState.NotRequired ? "not_required" : state.ToString().ToLowerInvariant();

    private static string Unmasked(string text) => text == AuditRedactor.MaskValue ? string.Empty : text;

    private static string Text(JsonObject? o, string key) => o?[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;
}
