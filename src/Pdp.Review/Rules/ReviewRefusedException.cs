namespace Pdp.Review.Rules;

/// <summary>Why a disposition was refused, in terms the gRPC edge maps to a status.</summary>
public enum RefusalKind
{
    InvalidArgument,
    NotFound,
    FailedPrecondition,
    PermissionDenied,
}

/// <summary>A disposition the review rules refuse. Recorded in the trail when the decision exists.</summary>
public sealed class ReviewRefusedException : Exception
{
    public ReviewRefusedException(RefusalKind kind, string message)
        : base(message)
    {
        Kind = kind;
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
}
