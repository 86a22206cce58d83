namespace Pdp.Audit;

/// <summary>When an append is acknowledged to its caller.</summary>
public enum AuditDurability
{
    /// <summary>
    /// Default. Acknowledged only after the batch holding the record was fsynced, so an acknowledged record survives
    /// a crash or power loss. Group commit keeps this affordable: one fsync covers every record queued meanwhile.
    /// </summary>
    Durable = 0,

    /// <summary>
    /// Acknowledged after the write to the operating system; fsync runs every <see cref="AuditTrailOptions.FlushInterval"/>
    /// and at dispose. A process crash loses nothing, but a power loss or kernel crash may lose up to that interval.
    /// </summary>
    Buffered = 1,
}
