using System.Text.Json.Nodes;
using Pdp.Audit.Format;

namespace Pdp.Audit;

/// <summary>
/// One verified record read back from a trail. Its payload is kept as the canonical bytes the trail stores when the
/// reader has them, and parsed only when <see cref="Payload"/> is asked for: start-up replays thousands of state
/// records and most of them are read by a forward-only reader that needs no document.
/// </summary>
public sealed record AuditRecord
{
    private JsonObject? _payload;
    private ReadOnlyMemory<byte> _canonical;

    /// <param name="seq">Sequence number, 1-based, gap-free across files.</param>
    /// <param name="time">When the writer sequenced the record (UTC, millisecond precision).</param>
    /// <param name="type">Record type as given to <see cref="IAuditTrail.AppendAsync"/>.</param>
    /// <param name="payload">The payload as stored (already masked if the caller masked it); owned by the caller.</param>
    /// <param name="prevHash">Hash of the previous record, or 64 zeros for seq 1.</param>
    /// <param name="hash">Hash of this record.</param>
    public AuditRecord(long seq, DateTimeOffset time, string type, JsonObject payload, string prevHash, string hash)
        : this(seq, time, type, prevHash, hash)
    {
        ArgumentNullException.ThrowIfNull(payload);
        _payload = payload;
    }

    /// <param name="seq">Sequence number.</param>
    /// <param name="time">When the writer sequenced the record.</param>
    /// <param name="type">Record type.</param>
    /// <param name="canonicalPayload">The payload in canonical form, exactly as stored; not copied, so it must not change.</param>
    /// <param name="prevHash">Hash of the previous record.</param>
    /// <param name="hash">Hash of this record.</param>
    public AuditRecord(long seq, DateTimeOffset time, string type, ReadOnlyMemory<byte> canonicalPayload, string prevHash, string hash)
        : this(seq, time, type, prevHash, hash)
    {
        _canonical = canonicalPayload;
    }

    private AuditRecord(long seq, DateTimeOffset time, string type, string prevHash, string hash)
    {
        Seq = seq;
        Time = time;
        Type = type;
        PrevHash = prevHash;
        Hash = hash;
    }

    /// <summary>Sequence number, 1-based, gap-free across files.</summary>
    public long Seq { get; }

    /// <summary>When the writer sequenced the record (UTC, millisecond precision); default for a checkpoint's state records.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>Record type as given to <see cref="IAuditTrail.AppendAsync"/>.</summary>
    public string Type { get; }

    /// <summary>Hash of the previous record, or 64 zeros for seq 1 (empty for a checkpoint's state records).</summary>
    public string PrevHash { get; }

    /// <summary>Hash of this record (empty for a checkpoint's state records).</summary>
    public string Hash { get; }

    /// <summary>The payload as stored (already masked if the caller masked it); parsed on first use, owned by the caller.</summary>
    public JsonObject Payload => _payload ??= JsonNode.Parse(_canonical.Span, documentOptions: CanonicalJson.ReaderOptions)!.AsObject();

    /// <summary>The payload's canonical bytes (what the hash covers and the file stores); serialised on first use if the reader had only the document.</summary>
    public ReadOnlyMemory<byte> CanonicalPayload
    {
        get
        {
            if (_canonical.IsEmpty && _payload is not null)
            {
                _canonical = CanonicalJson.Serialize(_payload);
            }

            return _canonical;
        }
    }
}
