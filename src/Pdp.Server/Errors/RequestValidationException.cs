namespace Pdp.Server.Errors;

/// <summary>A request field that is missing or malformed. Becomes INVALID_ARGUMENT naming <see cref="Field"/>.</summary>
public sealed class RequestValidationException : Exception
{
    public RequestValidationException(string field, string message)
        : base($"{field}: {message}")
    {
        Field = field;
    }

    public RequestValidationException()
        : this("request", "invalid")
    {
    }

    public RequestValidationException(string message)
        : this("request", message)
    {
    }

    public RequestValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "request";
    }

    public string Field { get; }
}
