namespace Pdp.Server.Configuration;

/// <summary>Graceful stop (<c>Pdp:Shutdown</c>).</summary>
public sealed class ShutdownOptions
{
    /// <summary>
    /// After SIGTERM, how long readiness reports "draining" before the listeners close, so load balancers
    /// and the mesh stop sending new calls first. Default 0 (Kubernetes usually covers this with preStop).
    /// </summary>
    public int DrainDelaySeconds { get; set; }

    /// <summary>How long calls in flight may take to finish before the process exits anyway. Default 30 s.</summary>
    public int TimeoutSeconds { get; set; } = 30;
}
