using Grpc.Core;
using Pdp.Audit;
using Pdp.Review.Rules;
using Pdp.Review.Store;
using Pdp.Server.Spiffe;

namespace Pdp.Server.Errors;

/// <summary>
/// The one place that turns failures into gRPC statuses. Known failures keep their message (it names
/// the field or the reason); anything unexpected becomes INTERNAL with no detail, so internals and
/// payload fragments never leak to callers.
/// </summary>
public static class RpcErrorMapping
{
    public static Status ToStatus(Exception exception) => exception switch
    {
        RpcException rpc => rpc.Status,
        RequestValidationException e => new Status(StatusCode.InvalidArgument, e.Message),
        IdempotencyConflictException e => new Status(StatusCode.AlreadyExists, e.Message),
        NotReadyException e => new Status(StatusCode.Unavailable, e.Message),
        OverloadedException e => new Status(StatusCode.ResourceExhausted, e.Message),
        ReviewRefusedException e => new Status(e.Kind switch
        {
            RefusalKind.InvalidArgument => StatusCode.InvalidArgument,
            RefusalKind.NotFound => StatusCode.NotFound,
            RefusalKind.PermissionDenied => StatusCode.PermissionDenied,
            _ => StatusCode.FailedPrecondition,
        }, e.Message),
        SvidRejectedException e => new Status(StatusCode.Unauthenticated, e.Message),
        ReviewStoreUnavailableException e => new Status(StatusCode.Unavailable, e.Message),
        Pdp.Reviewers.ReviewerTokenException e => new Status(StatusCode.Unauthenticated, e.Message),
        AuditWriteException => new Status(StatusCode.Unavailable, "the audit trail cannot be written; nothing was decided or recorded (failing closed)"),
        OperationCanceledException => new Status(StatusCode.Cancelled, "the call was cancelled"),
        _ => new Status(StatusCode.Internal, "internal error"),
    };

    /// <summary>True for failures that are the caller's or the environment's, not a bug in Pdp.</summary>
    public static bool IsExpected(Exception exception) => exception is RpcException or RequestValidationException
        or IdempotencyConflictException or NotReadyException or OverloadedException or OperationCanceledException or ReviewRefusedException or ReviewStoreUnavailableException or Pdp.Reviewers.ReviewerTokenException;
}
