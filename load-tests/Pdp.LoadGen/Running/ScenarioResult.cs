namespace Pdp.LoadGen.Running;

/// <summary>One row of the report: an operation's count, errors, throughput and latency percentiles.</summary>
internal sealed record OperationResult(
    string Name,
    long Count,
    long Errors,
    IReadOnlyDictionary<string, long> ErrorsByStatus,
    double ThroughputPerSecond,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs,
    double MeanMs);

/// <summary>What one scenario run measured.</summary>
/// <param name="Load">"32 workers" or "1000/s".</param>
/// <param name="ServiceTime">Open loop only: the unit's latency from its actual send, i.e. what a generator that ignores coordinated omission would have reported.</param>
internal sealed record ScenarioResult(
    string Scenario,
    string Description,
    LoadMode Mode,
    string Load,
    double Seconds,
    IReadOnlyList<OperationResult> Operations,
    OperationResult? ServiceTime,
    long MaxInFlight,
    bool Aborted,
    string? AbortReason,
    double? ServerMaxRssMb,
    double? ServerCpuSeconds,
    double ClientCpuSeconds)
{
    public OperationResult Unit => Operations[0];

    public long Errors => Operations[0].Errors;

    /// <summary>Server CPU time per unit, when the server was sampled.</summary>
    public double? ServerCpuMicrosecondsPerUnit => ServerCpuSeconds is { } cpu && Unit.Count + Unit.Errors > 0 ? cpu * 1e6 / (Unit.Count + Unit.Errors) : null;
}
