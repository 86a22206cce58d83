namespace Pdp.Server.Errors;

/// <summary>The server cannot decide yet (no policy revision loaded). Becomes UNAVAILABLE so clients retry.</summary>
public sealed class NotReadyException : Exception
{
    public NotReadyException()
        : base("no policy revision is loaded yet")
    {
    }

    public NotReadyException(string message)
        : base(message)
    {
    }

    public NotReadyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
