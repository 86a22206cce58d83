namespace Pdp.Evaluation.Results;

/// <summary>Why a policy produced no usable answer. Each one fails closed (counts as deny).</summary>
public enum PolicyErrorKind
{
    None = 0,

    /// <summary>The policy threw.</summary>
    Exception,

    /// <summary>The policy ran past its time budget.</summary>
    Timeout,

    /// <summary>The policy hit the statement, memory, recursion or array-size limit.</summary>
    Limit,

    /// <summary>The policy returned something that is not a valid result.</summary>
    InvalidResult,
}

/// <summary>What one policy said about one input.</summary>
/// <param name="Verdict">Null when the policy did not apply (returned nothing).</param>
public sealed record PolicyOutcome(
    string PolicyId,
    Verdict? Verdict,
    string Reason,
    IReadOnlyDictionary<string, string> Obligations,
    TimeSpan? ReviewTtl,
    int? MinApprovals,
    string? ApproverGroup,
    PolicyErrorKind Error,
    TimeSpan Elapsed)
{
    public static readonly IReadOnlyDictionary<string, string> NoObligations = new Dictionary<string, string>();

    public bool Applied => Verdict is not null;

    /// <summary>The group this one decision's review escalates to (<c>escalate_to</c> in <c>decide</c>'s result); null: the policy's.</summary>
    public string? EscalateTo { get; init; }

    public static PolicyOutcome NotApplicable(string policyId, TimeSpan elapsed) =>
        new(policyId, null, string.Empty, NoObligations, null, null, null, PolicyErrorKind.None, elapsed);

    public static PolicyOutcome Failed(string policyId, PolicyErrorKind kind, string reason, TimeSpan elapsed) =>
        new(policyId, Results.Verdict.Deny, reason, NoObligations, null, null, null, kind, elapsed);
}
