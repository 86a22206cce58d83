using System.Text.Json.Nodes;

namespace Pdp.Audit;

/// <summary>One verified record read back from a trail.</summary>
/// <param name="Seq">Sequence number, 1-based, gap-free across files.</param>
/// <param name="Time">When the writer sequenced the record (UTC, millisecond precision).</param>
/// <param name="Type">Record type as given to <see cref="IAuditTrail.AppendAsync"/>.</param>
/// <param name="Payload">The payload as stored (already masked if the caller masked it); owned by the caller.</param>
/// <param name="PrevHash">Hash of the previous record, or 64 zeros for seq 1.</param>
/// <param name="Hash">Hash of this record.</param>
public sealed record AuditRecord(long Seq, DateTimeOffset Time, string Type, JsonObject Payload, string PrevHash, string Hash);
