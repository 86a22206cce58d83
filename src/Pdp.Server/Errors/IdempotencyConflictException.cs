namespace Pdp.Server.Errors;

/// <summary>A <c>request_id</c> reused for a different request within the window. Becomes ALREADY_EXISTS.</summary>
public sealed class IdempotencyConflictException : Exception
{
    public IdempotencyConflictException(string requestId)
        : base($"request_id '{requestId}' was already used for a different request; use a new request_id for a new action")
    {
    }

    public IdempotencyConflictException()
    {
    }

    public IdempotencyConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
