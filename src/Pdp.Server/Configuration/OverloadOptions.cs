namespace Pdp.Server.Configuration;

/// <summary>
/// Admission control (<c>Pdp:Overload</c>): how many decisions may be in progress at once, and how many
/// may wait, for how long. Past that, calls are refused at once with RESOURCE_EXHAUSTED rather than
/// queueing without end — a sidecar that answers late is as bad as one that does not answer.
/// </summary>
public sealed class OverloadOptions
{
    /// <summary>Decisions evaluated and recorded at the same time. Default 64.</summary>
    public int MaxConcurrentDecisions { get; set; } = 64;

    /// <summary>Decisions waiting for a slot. Default 256.</summary>
    public int MaxQueuedDecisions { get; set; } = 256;

    /// <summary>Longest wait for a slot before the call is refused. Default 200 ms.</summary>
    public int MaxQueueWaitMilliseconds { get; set; } = 200;
}
