namespace Pdp.Server.Policies;

/// <summary>Log lines of policy loading and hot reload (event ids 100-119). Problems name file, line and column, never data.</summary>
internal static partial class PolicyLog
{
    [LoggerMessage(100, LogLevel.Error, "Policy reload ({Trigger}) from {Origin} was refused ({ProblemCount} problems); still serving {Revision}: {Problems}")]
    public static partial void PolicyReloadRefused(ILogger logger, ReloadTrigger trigger, string origin, string revision, int problemCount, string problems);

    [LoggerMessage(101, LogLevel.Information, "Policy reload ({Trigger}): serving revision {Revision} ({PolicyCount} policies), replacing {PreviousRevision}")]
    public static partial void PolicyReloadActivated(ILogger logger, ReloadTrigger trigger, string revision, string previousRevision, int policyCount);

    [LoggerMessage(102, LogLevel.Debug, "Policy reload ({Trigger}): revision {Revision} is already serving")]
    public static partial void PolicyReloadUnchanged(ILogger logger, ReloadTrigger trigger, string revision);

    [LoggerMessage(103, LogLevel.Error, "Policy reload ({Trigger}) failed unexpectedly; the serving revision stays")]
    public static partial void PolicyReloadCrashed(ILogger logger, ReloadTrigger trigger, Exception exception);

    [LoggerMessage(104, LogLevel.Information, "Policy hot reload on {Origin}: watch {Watch} (debounce {DebounceMilliseconds} ms), poll every {PollSeconds} s (0: off), SIGHUP {Signal}, require tests {RequireTests}")]
    public static partial void PolicyReloadStarted(ILogger logger, string origin, bool watch, int debounceMilliseconds, int pollSeconds, bool signal, bool requireTests);

    [LoggerMessage(105, LogLevel.Warning, "Cannot watch policy directory {Directory}; relying on the poll until the watch can be restored")]
    public static partial void PolicyWatchFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(106, LogLevel.Information, "Policy reload requested by {Trigger}")]
    public static partial void PolicyReloadRequested(ILogger logger, ReloadTrigger trigger);
}
