namespace Pdp.Review.Rules;

/// <summary>Why a disposition was refused, in terms the gRPC edge maps to a status.</summary>
public enum RefusalKind
{
    InvalidArgument,
    NotFound,
    FailedPrecondition,
    PermissionDenied,
}

/// <summary>
/// Which review rule refused a disposition: what the trail's <c>refusal</c> record names (see
/// <see cref="Events.RefusalEventJson"/>) and the evidence report counts, independent of the message's wording.
/// </summary>
public enum RefusalRule
{
    /// <summary>A refusal written before rules were named, or by code that names none.</summary>
    Unspecified,

    /// <summary>A field of the disposition is missing or malformed.</summary>
    InvalidField,

    /// <summary>The agent that proposed the action, or the principal it acts for, tried to review it.</summary>
    SelfApproval,

    /// <summary>The reviewer is not a member of the decision's approver group.</summary>
    NotInGroup,

    /// <summary>The review had expired.</summary>
    AfterExpiry,

    /// <summary>The review was already settled (or the allowed decision already reversed).</summary>
    AlreadySettled,

    /// <summary>The same reviewer approved a four-eyes decision twice.</summary>
    DuplicateApproval,

    /// <summary>One reviewer tried to modify a decision that needs several approvals.</summary>
    FourEyesModify,

    /// <summary>The decision's verdict admits no such disposition (a deny, an allow that needed no review).</summary>
    NotReviewable,

    /// <summary>The calling workload may not record dispositions (separation of duties between workloads, mTLS recorders).</summary>
    Recorder,

    /// <summary>The reviewer named differs from the one the bearer token proves.</summary>
    ReviewerMismatch,
}

/// <summary>A disposition the review rules refuse. Recorded in the trail when the decision exists.</summary>
public sealed class ReviewRefusedException : Exception
{
    public ReviewRefusedException(RefusalKind kind, RefusalRule rule, string message)
        : base(message)
    {
        Kind = kind;
        Rule = rule;
    }

    public ReviewRefusedException(RefusalKind kind, string message)
        : this(kind, kind == RefusalKind.InvalidArgument ? RefusalRule.InvalidField : RefusalRule.Unspecified, message)
    {
    }

    public ReviewRefusedException()
        : this(RefusalKind.FailedPrecondition, "refused")
    {
    }

    public ReviewRefusedException(string message)
        : this(RefusalKind.FailedPrecondition, message)
    {
    }

    public ReviewRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = RefusalKind.FailedPrecondition;
    }

    public RefusalKind Kind { get; }

    /// <summary>The rule that refused it.</summary>
    public RefusalRule Rule { get; }
}
