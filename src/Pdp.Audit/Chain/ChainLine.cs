using System.Text;
using System.Text.Json.Nodes;
using Pdp.Audit.Format;

namespace Pdp.Audit.Chain;

/// <summary>
/// One record of a hash chain kept outside a trail file (the shared review store's chain), in exactly the
/// trail's line format, so the same verifier checks both and an auditor reads both the same way.
/// </summary>
public static class ChainLine
{
    /// <summary>The previous hash of a chain's first record.</summary>
    public const string GenesisHash = RecordCodec.GenesisHash;

    /// <summary>The stored line (without its newline) and its hash, for the record after <paramref name="prevHash"/>.</summary>
    public static (string Line, string Hash, DateTimeOffset Time) Encode(long seq, DateTimeOffset time, string type, JsonObject payload, string prevHash)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var recordTime = RecordCodec.ToRecordTime(time);
        var bytes = RecordCodec.EncodeLine(seq, RecordCodec.FormatTime(recordTime), type, CanonicalJson.Serialize(payload), prevHash, out var hash);
        return (Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1), hash, recordTime);
    }

    /// <summary>Reads one stored line back, checking its hash and exact form (not its link to the previous one).</summary>
    /// <exception cref="FormatException">The line is not a record as written, naming why.</exception>
    public static AuditRecord Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var raw = new RawLine(1, 0, Encoding.UTF8.GetBytes(line), Terminated: true, IsLast: true);
        var parsed = RecordCodec.Check(raw, out _, out var problem) ?? throw new FormatException(problem);
        return new AuditRecord(parsed.Seq, parsed.Time, parsed.Type, parsed.Payload, parsed.PrevHash, parsed.Hash);
    }
}
