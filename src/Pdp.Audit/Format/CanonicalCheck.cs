using System.Text;
using System.Text.Json;

namespace Pdp.Audit.Format;

/// <summary>
/// A forward-only check of bytes a caller says are canonical: one JSON object, members sorted at every level, no
/// whitespace, within the depth limit. It reads once and allocates nothing for ASCII keys; escaping is the writer's
/// contract (its tests compare it byte for byte with <see cref="CanonicalJson"/>), but a writer that forgot to sort,
/// or that wrote indented text, is refused here instead of leaving a record no verifier could recompute.
/// </summary>
internal static class CanonicalCheck
{
    public static void ThrowIfNotCanonicalObject(ReadOnlySpan<byte> payload)
    {
        if (Problem(payload) is { } problem)
        {
            throw new ArgumentException($"The payload is not canonical JSON: {problem}.", nameof(payload));
        }
    }

    private static string? Problem(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2 || payload[0] != (byte)'{')
        {
            return "not a JSON object";
        }

        if (payload[^1] != (byte)'}')
        {
            return "it has bytes after the object";
        }

        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = CanonicalJson.MaxPayloadDepth + 1 });
        // The previous key at each open object's depth; null when the object has had no member yet.
        Span<Range> previous = stackalloc Range[CanonicalJson.MaxPayloadDepth + 3];
        Span<bool> hasPrevious = stackalloc bool[previous.Length];
        long expectedStart = 0;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenStartIndex != expectedStart && !IsAfterSeparator(payload, expectedStart, reader.TokenStartIndex))
                {
                    return "it holds whitespace";
                }

                var depth = reader.CurrentDepth;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        hasPrevious[depth + 1] = false;
                        break;
                    case JsonTokenType.PropertyName when !reader.ValueIsEscaped:
                        var key = new Range((int)reader.TokenStartIndex + 1, (int)reader.TokenStartIndex + 1 + reader.ValueSpan.Length);
                        if (hasPrevious[depth] && Compare(payload[previous[depth]], payload[key]) >= 0)
                        {
                            return $"member \"{Encoding.UTF8.GetString(payload[key])}\" is out of order";
                        }

                        previous[depth] = key;
                        hasPrevious[depth] = true;
                        break;
                    case JsonTokenType.PropertyName:
                        // An escaped key (rare: control or non-ASCII characters) cannot be compared in place; its
                        // order is the writer's, like its escaping.
                        hasPrevious[depth] = false;
                        break;
                }

                expectedStart = reader.BytesConsumed;
            }
        }
        catch (JsonException e)
        {
            return e.Message;
        }

        return reader.BytesConsumed == payload.Length && reader.CurrentDepth == 0 ? null : "it has bytes after the object";
    }

    /// <summary>Between two tokens only one <c>,</c> or <c>:</c> may stand (the reader consumes them silently).</summary>
    private static bool IsAfterSeparator(ReadOnlySpan<byte> payload, long from, long to) =>
        to == from + 1 && payload[(int)from] is (byte)',' or (byte)':';

    /// <summary>Ordinal order of UTF-16 code units, as <see cref="CanonicalJson"/> sorts; for UTF-8 that is byte order
    /// except where a character outside the BMP meets one in U+E000–U+FFFF, so those fall back to strings.</summary>
    private static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var common = a.CommonPrefixLength(b);
        if (common < a.Length && common < b.Length && (a[common] >= 0xEE || b[common] >= 0xEE))
        {
            return string.CompareOrdinal(Encoding.UTF8.GetString(a), Encoding.UTF8.GetString(b));
        }

        return a.SequenceCompareTo(b);
    }
}
