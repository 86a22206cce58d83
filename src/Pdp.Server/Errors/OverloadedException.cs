namespace Pdp.Server.Errors;

/// <summary>Admission control refused the call. Becomes RESOURCE_EXHAUSTED, so clients back off.</summary>
public sealed class OverloadedException : Exception
{
    public OverloadedException()
    {
    }

    public OverloadedException(string message)
        : base(message)
    {
    }

    public OverloadedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
