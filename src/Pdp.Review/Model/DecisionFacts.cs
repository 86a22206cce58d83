using System.Text.Json.Nodes;

namespace Pdp.Review.Model;

/// <summary>What the policies answered. Numbered as on the wire, so the edge maps by value.</summary>
public enum DecisionVerdict
{
    Allow = 1,
    Deny = 2,
    RequireHuman = 3,
}

/// <summary>One deciding policy's reason.</summary>
public sealed record DecisionReason(string PolicyId, string Message);

/// <summary>
/// A decision as the review step knows it: everything fixed at decision time. The review state that
/// changes afterwards is a <see cref="ReviewSnapshot"/>; the two travel together as a <see cref="ReviewView"/>.
/// </summary>
/// <param name="RecordedInput">The policy input as recorded in the trail (redacted). Treat as read-only.</param>
/// <param name="PolicyId">The policy that decided (or <c>default</c>): whose owner is accountable, and the metrics' policy label.</param>
/// <param name="ApproverGroup">Who may review it: the review's group for require-human, the deciding policy's group otherwise (for reversals).</param>
/// <param name="ExpiresAt">When a require-human review expires; null for other verdicts.</param>
/// <param name="MinApprovals">Distinct approvals a require-human decision needs (four eyes when above one).</param>
/// <param name="RequestDigest">Hex digest of the request as sent, for the idempotency window; empty without a request id.</param>
public sealed record DecisionFacts(
    string DecisionId,
    DateTimeOffset DecidedAt,
    JsonObject RecordedInput,
    DecisionVerdict Verdict,
    IReadOnlyList<DecisionReason> Reasons,
    string ControlOwner,
    IReadOnlyDictionary<string, string> Obligations,
    string PolicyRevision,
    string PolicyId,
    string ApproverGroup,
    DateTimeOffset? ExpiresAt,
    int MinApprovals,
    string ActionDigest,
    string RequestDigest)
{
    /// <summary>
    /// The decision event's canonical payload as the trail holds it, once recorded (empty before). A store keeps
    /// these bytes rather than the parsed input, and the same array is the trail's: never changed.
    /// </summary>
    public ReadOnlyMemory<byte> RecordedPayload { get; init; }

    /// <summary>
    /// Who a require-human review escalates to when it is still pending at the configured point of its window (the
    /// policy's <c>escalate_to</c>, its <c>escalation_group</c> metadata, or <c>Pdp:Review:EscalationGroup</c>); empty: none.
    /// </summary>
    public string EscalationGroup { get; init; } = string.Empty;

    public string AgentId { get; } = TextAt(RecordedInput, "agent", "id");

    public string OnBehalfOf { get; } = TextAt(RecordedInput, "agent", "on_behalf_of");

    /// <summary>The SPIFFE ID of the workload that asked for the decision, when it came over mTLS.</summary>
    public string RequesterSpiffeId { get; } = TextAt(RecordedInput, "caller", "spiffe_id");

    public string RequestId => RecordedInput["request_id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;

    private static string TextAt(JsonObject input, string outer, string inner) =>
        input[outer] is JsonObject o && o[inner] is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;
}

/// <summary>A decision with its review as it stands now, and the use of its approval if there was one.</summary>
public sealed record ReviewView(DecisionFacts Decision, ReviewSnapshot Review, ApprovalUse? ApprovalUse);
