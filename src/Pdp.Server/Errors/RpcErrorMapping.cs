using Grpc.Core;

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
        OperationCanceledException => new Status(StatusCode.Cancelled, "the call was cancelled"),
        _ => new Status(StatusCode.Internal, "internal error"),
    };

    /// <summary>True for failures that are the caller's or the environment's, not a bug in Pdp.</summary>
    public static bool IsExpected(Exception exception) => exception is RpcException or RequestValidationException
        or IdempotencyConflictException or NotReadyException or OperationCanceledException;
}
