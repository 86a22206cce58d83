namespace Pdp.Evaluation.Results;

/// <summary>One policy's contribution to the answer.</summary>
public sealed record DecisionReason(string PolicyId, string Message);

/// <summary>
/// The combined answer for one input. <see cref="ControlOwner"/> is always set: the owner of the
/// deciding policy, or the configured default owner when no policy applied.
/// </summary>
public sealed record Decision(
    Verdict Verdict,
    IReadOnlyList<DecisionReason> Reasons,
    string ControlOwner,
    string? DecidingPolicyId,
    string ApproverGroup,
    TimeSpan ReviewTtl,
    int MinApprovals,
    IReadOnlyDictionary<string, string> Obligations,
    string PolicyRevision,
    IReadOnlyList<PolicyOutcome> Outcomes)
{
    /// <summary>Who a require-human review escalates to: the deciding policy's <c>escalate_to</c>, its <c>escalation_group</c>, or the configured default; empty: none.</summary>
    public string EscalationGroup { get; init; } = string.Empty;
}
