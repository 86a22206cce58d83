using System.Globalization;
using System.Text.Json;

using Pdp.Audit.Reading;

namespace Pdp.Audit.Format;

/// <summary>
/// The members of a stored line read with one forward pass of <see cref="Utf8JsonReader"/>, the payload left as the
/// bytes it is stored as (already canonical JSON). For readers that follow a trail this process writes and only need
/// the chain fields and the payload's text; the hash itself is checked by start-up and by the verifier.
/// </summary>
internal static class LineFields
{
    public static TrailLine? TryRead(ReadOnlyMemory<byte> line)
    {
        var reader = new Utf8JsonReader(line.Span, new JsonReaderOptions { MaxDepth = CanonicalJson.ReaderMaxDepth });
        long? seq = null;
        string? time = null, type = null, prev = null, hash = null;
        var payload = Range.All;
        var hasPayload = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("payload"u8))
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    payload = start..(int)reader.BytesConsumed;
                    hasPayload = true;
                }
                else if (name.SequenceEqual("seq"u8) && reader.TryGetInt64(out var s))
                {
                    seq = s;
                }
                else if (reader.TokenType == JsonTokenType.String)
                {
                    var text = reader.GetString();
                    if (name.SequenceEqual("time"u8)) { time = text; }
                    else if (name.SequenceEqual("type"u8)) { type = text; }
                    else if (name.SequenceEqual("prev_hash"u8)) { prev = text; }
                    else if (name.SequenceEqual("hash"u8)) { hash = text; }
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        if (seq is null || time is null || type is null || prev is null || hash is null || !hasPayload
            || !DateTimeOffset.TryParseExact(time, RecordCodec.TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return null;
        }

        return new TrailLine(seq.Value, at, type, line[payload], prev, hash);
    }
}
