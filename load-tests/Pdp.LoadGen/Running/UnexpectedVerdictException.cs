namespace Pdp.LoadGen.Running;

/// <summary>
/// A call succeeded but the server answered a verdict the scenario does not send for (a <c>decided</c> request sent to
/// a human, a <c>human</c> one decided). Counted as an error of the unit, like a failed call: a figure for "allow/deny
/// only" must not silently include require-human decisions.
/// </summary>
internal sealed class UnexpectedVerdictException : Exception
{
    public UnexpectedVerdictException()
    {
    }

    public UnexpectedVerdictException(string message)
        : base(message)
    {
    }

    public UnexpectedVerdictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True for the failures a unit counts as errors and carries on after (anything else is a bug and stops the run).</summary>
    public static bool IsUnitFailure(Exception e) => e is Grpc.Core.RpcException or OperationCanceledException or UnexpectedVerdictException;
}
