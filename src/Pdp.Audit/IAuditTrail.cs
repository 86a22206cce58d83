using System.Text.Json.Nodes;

namespace Pdp.Audit;

/// <summary>
/// The one thing the rest of the server needs from the audit trail: append an event and learn when it is safe.
/// Kept this narrow so callers can be tested against a fake and cannot reach rotation or disposal.
/// </summary>
public interface IAuditTrail
{
    /// <summary>
    /// Appends one record and completes once it is acknowledged (after fsync in
    /// <see cref="AuditDurability.Durable"/> mode, after the write to the OS in <see cref="AuditDurability.Buffered"/> mode).
    /// </summary>
    /// <param name="type">Record type, e.g. <c>"decision"</c>; any non-empty string.</param>
    /// <param name="payload">Arbitrary JSON; it is serialised before this call returns, so later changes to it are not recorded.</param>
    /// <param name="cancellationToken">Honoured while waiting for room in the queue. Once queued, the record is written regardless.</param>
    /// <exception cref="AuditWriteException">The batch holding this record could not be written; the record is not in the trail.</exception>
    ValueTask<AuditReceipt> AppendAsync(string type, JsonObject payload, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends one record whose payload the caller already wrote in canonical form (<see cref="Format.CanonicalJson"/>),
    /// so the hot path serialises it once. The bytes are kept, never copied: they must not change afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The bytes are not one canonical JSON object (checked by a forward-only reader).</exception>
    /// <exception cref="AuditWriteException">The batch holding this record could not be written; the record is not in the trail.</exception>
    ValueTask<AuditReceipt> AppendCanonicalAsync(string type, ReadOnlyMemory<byte> canonicalPayload, CancellationToken cancellationToken = default);
}
