using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Pdp.Audit.Format;

/// <summary>A stored line that parsed into the record shape (its hash and chain not yet checked).</summary>
internal sealed record ParsedRecord(long Seq, string TimeText, DateTimeOffset Time, string Type, JsonObject Payload, string PrevHash, string Hash);

/// <summary>
/// The record format. A stored line is
/// <c>{"seq":1,"time":"…","type":"…","payload":{…},"prev_hash":"…","hash":"…"}\n</c> with the payload in canonical
/// form (see <see cref="CanonicalJson"/>), and <c>hash</c> is the lowercase hex SHA-256 of the canonical JSON of the
/// record without its <c>hash</c> member, i.e. of <c>{"payload":…,"prev_hash":…,"seq":…,"time":…,"type":…}</c>.
/// </summary>
internal static class RecordCodec
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Format of <c>time</c>: UTC, millisecond precision, always the same length.</summary>
    /// <summary>Problem text for a line that does not parse; on the last line of the active file it means a torn write.</summary>
    public const string NotJson = "line is not valid JSON";

    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    private static readonly string[] Members = ["seq", "time", "type", "payload", "prev_hash", "hash"];

    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    /// <summary>Truncates to the millisecond the format keeps, so a receipt's time equals the stored one.</summary>
    public static DateTimeOffset ToRecordTime(DateTimeOffset now)
    {
        var utc = now.UtcTicks;
        return new DateTimeOffset(utc - (utc % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>
    /// Encodes one stored line (with its <c>\n</c>) and returns its hash. The hash input is written member by member in
    /// canonical (sorted) order rather than through <see cref="CanonicalJson"/> because the payload is already canonical;
    /// tests check both routes agree.
    /// </summary>
    public static byte[] EncodeLine(long seq, string time, string type, ReadOnlySpan<byte> canonicalPayload, string prevHash, out string hash)
    {
        var line = new ArrayBufferWriter<byte>(canonicalPayload.Length + 256);
        hash = EncodeLine(line, seq, time, type, canonicalPayload, prevHash);
        return line.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Appends one stored line (with its <c>\n</c>) to <paramref name="output"/> and returns its hash: the writer's form,
    /// with a scratch buffer and writers kept per thread, so the trail's writer loop allocates only the hash text.
    /// </summary>
    public static string EncodeLine(ArrayBufferWriter<byte> output, long seq, string time, string type, ReadOnlySpan<byte> canonicalPayload, string prevHash)
    {
        ArgumentNullException.ThrowIfNull(output);
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(4096);
        scratch.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(scratch, CanonicalJson.WriterOptions);
        writer.Reset(scratch);
        writer.WriteStartObject();
        writer.WritePropertyName("payload"u8);
        writer.WriteRawValue(canonicalPayload, skipInputValidation: true);
        writer.WriteString("prev_hash"u8, prevHash);
        writer.WriteNumber("seq"u8, seq);
        writer.WriteString("time"u8, time);
        writer.WriteString("type"u8, type);
        writer.WriteEndObject();
        writer.Flush();
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(scratch.WrittenSpan, digest);
        var hash = Convert.ToHexStringLower(digest);

        // Stored member order is for people reading the file; the hash never depends on it.
        writer.Reset(output);
        writer.WriteStartObject();
        writer.WriteNumber("seq"u8, seq);
        writer.WriteString("time"u8, time);
        writer.WriteString("type"u8, type);
        writer.WritePropertyName("payload"u8);
        writer.WriteRawValue(canonicalPayload, skipInputValidation: true);
        writer.WriteString("prev_hash"u8, prevHash);
        writer.WriteString("hash"u8, hash);
        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n"u8);
        if (scratch.Capacity > 1024 * 1024)
        {
            // One huge record must not pin a huge buffer to this thread for good.
            t_scratch = null;
            t_writer = null;
        }

        return hash;
    }

    /// <summary>
    /// Checks one stored line on its own: JSON, shape, hash, and exact form. The chain (seq order, prev_hash) is the
    /// caller's, since it needs the previous record. Returns null and a problem text when the line is bad;
    /// <paramref name="seq"/> is set whenever the line had a readable seq.
    /// </summary>
    public static ParsedRecord? Check(RawLine line, out long? seq, out string? problem)
    {
        seq = null;
        if (!Utf8.IsValid(line.Bytes))
        {
            // JSON text is UTF-8 (RFC 8259); the parser only notices bad bytes inside strings when it decodes them.
            problem = NotJson;
            return null;
        }

        JsonObject record;
        try
        {
            if (JsonNode.Parse(line.Bytes, documentOptions: CanonicalJson.ReaderOptions) is not JsonObject obj)
            {
                problem = "line is not a JSON object";
                return null;
            }

            // Materialises every member now, so duplicate keys (ArgumentException) surface here as a JSON problem.
            _ = obj.Count;
            record = obj;
        }
        catch (JsonException)
        {
            problem = NotJson;
            return null;
        }
        catch (ArgumentException)
        {
            // Legal JSON, but the writer never produces it, and which duplicate counts would be ambiguous.
            problem = "line has a duplicate member";
            return null;
        }

        if (record["seq"] is JsonValue seqValue && seqValue.GetValueKind() == JsonValueKind.Number
            && seqValue.TryGetValue<long>(out var s) && s >= 1)
        {
            seq = s;
        }

        problem = CheckShape(record);
        if (problem is not null)
        {
            return null;
        }

        var timeText = record["time"]!.GetValue<string>();
        var type = record["type"]!.GetValue<string>();
        var prevHash = record["prev_hash"]!.GetValue<string>();
        var hash = record["hash"]!.GetValue<string>();
        var payload = record["payload"]!.AsObject();
        byte[] canonicalPayload;
        string computed;
        try
        {
            // The definition, applied literally: canonical JSON of the record without "hash".
            record.Remove("hash");
            computed = Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(record)));
            canonicalPayload = CanonicalJson.Serialize(payload);
        }
        catch (ArgumentException)
        {
            problem = "payload is nested too deeply to be canonicalised";
            return null;
        }

        if (!string.Equals(computed, hash, StringComparison.Ordinal))
        {
            problem = "hash mismatch: record was edited";
            return null;
        }

        // The hash already seals the content; this catches edits that keep the content, such as re-indenting or
        // re-escaping, so that any change to the bytes of a line is visible.
        var expected = EncodeLine(seq!.Value, timeText, type, canonicalPayload, prevHash, out _);
        if (!expected.AsSpan(0, expected.Length - 1).SequenceEqual(line.Bytes))
        {
            problem = "line is not byte-identical to the written form (whitespace, member order or escaping was changed)";
            return null;
        }

        record.Remove("payload");
        var time = DateTimeOffset.ParseExact(timeText, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        return new ParsedRecord(seq.Value, timeText, time, type, payload, prevHash, hash);
    }

    private static string? CheckShape(JsonObject record)
    {
        foreach (var member in Members)
        {
            if (!record.ContainsKey(member))
            {
                return $"member \"{member}\" is missing";
            }
        }

        foreach (var (key, _) in record)
        {
            if (Array.IndexOf(Members, key) < 0)
            {
                return $"unexpected member \"{key}\"";
            }
        }

        if (!(record["seq"] is JsonValue seq && seq.GetValueKind() == JsonValueKind.Number && seq.TryGetValue<long>(out var s) && s >= 1))
        {
            return "\"seq\" is not a positive integer";
        }

        if (!(TryGetString(record["time"], out var time)
            && DateTimeOffset.TryParseExact(time, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)))
        {
            return "\"time\" is not a UTC time of the form yyyy-MM-ddTHH:mm:ss.fffZ";
        }

        if (!TryGetString(record["type"], out var type) || type.Length == 0)
        {
            return "\"type\" is not a non-empty string";
        }

        if (record["payload"] is not JsonObject)
        {
            return "\"payload\" is not a JSON object";
        }

        if (!TryGetString(record["prev_hash"], out var prevHash) || !IsHash(prevHash))
        {
            return "\"prev_hash\" is not 64 lowercase hex digits";
        }

        if (!TryGetString(record["hash"], out var hash) || !IsHash(hash))
        {
            return "\"hash\" is not 64 lowercase hex digits";
        }

        return null;
    }

    private static bool TryGetString(JsonNode? node, out string value)
    {
        value = string.Empty;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.TryGetValue(out value!);
    }

    private static bool IsHash(string text) =>
        text.Length == 64 && !text.AsSpan().ContainsAnyExcept(LowerHex);
}
