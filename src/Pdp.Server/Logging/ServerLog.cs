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

    [LoggerMessage(20, LogLevel.Warning, "Audit trail {File} ended in a torn record at line {Line} (a crash mid-write); cut {Bytes} bytes: {Reason}")]
    public static partial void TrailTailRepaired(ILogger logger, string file, long line, long bytes, string reason);

    [LoggerMessage(21, LogLevel.Information, "Audit trail {Path}: {Records} records verified; rebuilt {Decisions} decisions, {Dispositions} dispositions, {Pending} reviews pending")]
    public static partial void TrailReplayed(ILogger logger, string path, long records, int decisions, int dispositions, int pending);

    [LoggerMessage(130, LogLevel.Information, "Audit trail {Path}: background verification passed: {Records} records, seq {FirstSeq} to {LastSeq}{Anchor}, in {Ms} ms")]
    public static partial void BackgroundVerificationPassed(ILogger logger, string path, long records, long firstSeq, long lastSeq, string anchor, long ms);

    [LoggerMessage(131, LogLevel.Error, "Audit trail {Path}: background verification FAILED at {File} line {Line} (seq {Seq}): {Problem}")]
    public static partial void BackgroundVerificationFailed(ILogger logger, string path, string file, long line, long seq, string problem);

    [LoggerMessage(132, LogLevel.Error, "Audit trail {Path}: background verification could not run")]
    public static partial void BackgroundVerificationError(ILogger logger, string path, Exception error);

    [LoggerMessage(29, LogLevel.Information, "Audit trail {Path}: resumed from the checkpoint at seq {CheckpointSeq} ({StateEntries} state records); verified and replayed {Records} records after it (opened in {OpenMs} ms, rebuilt in {TotalMs} ms)")]
    public static partial void TrailResumed(ILogger logger, string path, long checkpointSeq, long stateEntries, long records, long openMs, long totalMs);

    [LoggerMessage(22, LogLevel.Error, "Audit trail write of a {RecordType} record failed; the call fails closed")]
    public static partial void TrailWriteFailed(ILogger logger, string recordType, Exception exception);

    [LoggerMessage(23, LogLevel.Information, "Review of decision {DecisionId} expired unsettled")]
    public static partial void ReviewExpired(ILogger logger, string decisionId);

    [LoggerMessage(24, LogLevel.Information, "Disposition {Outcome} on decision {DecisionId} by {Reviewer}; review now {State}")]
    public static partial void DispositionRecorded(ILogger logger, string outcome, string decisionId, string reviewer, string state);

    [LoggerMessage(40, LogLevel.Information, "Workload identity rotated: now presenting {Subject}, valid until {NotAfter}")]
    public static partial void SvidRotated(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(41, LogLevel.Information, "Stopping: readiness is false; listeners close in {DelaySeconds} s, then calls in flight finish and the trail is flushed")]
    public static partial void Draining(ILogger logger, double delaySeconds);

    [LoggerMessage(120, LogLevel.Warning, "Review store unavailable during {Operation}: {Reason}")]
    public static partial void ReviewStoreUnavailable(ILogger logger, string operation, string reason);

    [LoggerMessage(121, LogLevel.Information, "Review store {Kind} ready")]
    public static partial void ReviewStoreReady(ILogger logger, string kind);

    [LoggerMessage(122, LogLevel.Information, "Review store reachable again")]
    public static partial void ReviewStoreRecovered(ILogger logger);

    [LoggerMessage(123, LogLevel.Warning, "Decision log shipping failed ({Backlog} records behind): {Reason}")]
    public static partial void ShippingFailed(ILogger logger, long backlog, string reason);

    [LoggerMessage(124, LogLevel.Warning, "A disposition committed to the shared review store could not be copied to the local trail: {Reason}")]
    public static partial void ReviewCopyFailed(ILogger logger, string reason);
}
