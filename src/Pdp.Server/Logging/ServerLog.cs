namespace Pdp.Server.Logging;

/// <summary>Every log line the server writes. Messages never carry request payloads: they may hold secrets.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Serving policy revision {Revision} ({PolicyCount} policies from {Origin})")]
    public static partial void PolicySetActivated(ILogger logger, string revision, int policyCount, string origin);

    [LoggerMessage(2, LogLevel.Error, "Policy set from {Origin} was refused ({ProblemCount} problems): {Problems}")]
    public static partial void PolicyLoadFailed(ILogger logger, string origin, int problemCount, string problems);

    [LoggerMessage(3, LogLevel.Warning, "Policy {PolicyId} failed closed ({ErrorKind}) in decision {DecisionId}")]
    public static partial void PolicyFailed(ILogger logger, string policyId, string errorKind, string decisionId);

    [LoggerMessage(4, LogLevel.Debug, "Decision {DecisionId}: {Verdict} for {ActionType} by {PolicyId} (revision {Revision})")]
    public static partial void DecisionMade(ILogger logger, string decisionId, string verdict, string actionType, string policyId, string revision);

    [LoggerMessage(5, LogLevel.Error, "Unexpected failure in {Method}")]
    public static partial void UnexpectedFailure(ILogger logger, string method, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Refused {Method}: {Status} {Detail}")]
    public static partial void CallRefused(ILogger logger, string method, string status, string detail);
}
