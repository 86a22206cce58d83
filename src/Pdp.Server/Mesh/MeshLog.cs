namespace Pdp.Server.Mesh;

/// <summary>Log lines of the Envoy front door (event ids 200-219). Like the server's, they never carry request payloads.</summary>
internal static partial class MeshLog
{
    [LoggerMessage(200, LogLevel.Information, "Envoy Check refused ({Kind}); recorded as check_refusal {RefusalId}")]
    public static partial void CheckRefused(ILogger logger, string kind, string refusalId);

    [LoggerMessage(201, LogLevel.Information, "Envoy Check used the approval of decision {DecisionId} (use {UseId})")]
    public static partial void ApprovalUsed(ILogger logger, string decisionId, string useId);

    [LoggerMessage(202, LogLevel.Warning, "Envoy Check answered as a denial after a failure: {Status} {Detail}")]
    public static partial void CheckFailed(ILogger logger, string status, string detail);

    [LoggerMessage(203, LogLevel.Error, "Envoy Check failed unexpectedly; answered as a denial")]
    public static partial void CheckCrashed(ILogger logger, Exception exception);
}
