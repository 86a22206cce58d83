namespace Pdp.Server.AuthZen;

/// <summary>
/// A request the AuthZEN binding refuses as a whole: <see cref="Status"/> is the HTTP status (400 for a
/// malformed request, 413 for an oversized body, 415 for a body that is not <c>application/json</c>) and
/// <see cref="Field"/> names what was wrong (<c>subject.id</c>, <c>evaluations[2].action.name</c>, <c>Content-Type</c>).
/// </summary>
public sealed class AuthZenRequestException : Exception
{
    public AuthZenRequestException(int status, string field, string message)
        : base($"{field}: {message}")
    {
        Status = status;
        Field = field;
    }

    public AuthZenRequestException()
        : this(StatusCodes.Status400BadRequest, "request", "invalid")
    {
    }

    public AuthZenRequestException(string message)
        : this(StatusCodes.Status400BadRequest, "request", message)
    {
    }

    public AuthZenRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.Status400BadRequest;
        Field = "request";
    }

    public int Status { get; }

    public string Field { get; }

    /// <summary>A 400 naming <paramref name="field"/>: the spec's answer to a missing or malformed attribute.</summary>
    public static AuthZenRequestException BadRequest(string field, string message) => new(StatusCodes.Status400BadRequest, field, message);
}
