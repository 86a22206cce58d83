using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pdp.Audit.Format;

/// <summary>
/// The canonical JSON form that record hashes are computed over. A verifier in another language can reproduce it:
/// <list type="bullet">
/// <item>object members sorted by key in ordinal order of their UTF-16 code units (<see cref="string.CompareOrdinal(string, string)"/>), recursively;</item>
/// <item>array elements kept in order;</item>
/// <item>no whitespace at all outside strings;</item>
/// <item>strings and keys escaped as <see cref="Utf8JsonWriter"/> does with its default encoder: <c>\b \f \n \r \t \\</c>
/// in short form; <c>"</c>, other control characters, every non-ASCII character and the HTML-sensitive
/// <c>&lt; &gt; &amp; ' + `</c> as <c>\uXXXX</c> (uppercase hex, characters outside the BMP as two surrogate escapes);
/// everything else (printable ASCII, including <c>/</c>) as is;</item>
/// <item>numbers as System.Text.Json writes them: a number read from JSON text keeps its text exactly, a .NET number
/// is written in its shortest round-trip form; NaN and infinities are rejected;</item>
/// <item><c>true</c>, <c>false</c>, <c>null</c> as literals.</item>
/// </list>
/// Because this form is also what is stored in the file, parsing a stored payload and writing it again gives the
/// same bytes, which is what lets the verifier recompute hashes from the file alone.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Deepest payload accepted; the reader parses with <see cref="ReaderMaxDepth"/>, leaving room for the envelope.</summary>
    public const int MaxPayloadDepth = 128;

    /// <summary>Depth limit for parsing stored lines.</summary>
    public const int ReaderMaxDepth = MaxPayloadDepth + 8;

    /// <summary>Writer settings shared by everything that produces hashed or stored bytes.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Indented = false, MaxDepth = ReaderMaxDepth };

    /// <summary>Parser settings for stored lines.</summary>
    public static readonly JsonDocumentOptions ReaderOptions = new() { MaxDepth = ReaderMaxDepth };

    /// <summary>Serialises <paramref name="node"/> canonically.</summary>
    /// <exception cref="ArgumentException">The node holds NaN or infinity, or is nested deeper than <see cref="MaxPayloadDepth"/>.</exception>
    public static byte[] Serialize(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, node, depth: 0);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <paramref name="node"/> canonically into an existing writer.</summary>
    public static void Write(Utf8JsonWriter writer, JsonNode? node, int depth)
    {
        if (depth > MaxPayloadDepth)
        {
            throw new ArgumentException($"JSON is nested deeper than {MaxPayloadDepth} levels.", nameof(node));
        }

        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                // Sorting a snapshot keeps the input untouched and gives one order whatever order members were added in.
                // The snapshot is rented: every decision writes several objects, and this runs for each of them.
                var count = obj.Count;
                var members = ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Rent(count);
                try
                {
                    ((ICollection<KeyValuePair<string, JsonNode?>>)obj).CopyTo(members, 0);
                    Array.Sort(members, 0, count, ByKey.Instance);
                    writer.WriteStartObject();
                    for (var i = 0; i < count; i++)
                    {
                        writer.WritePropertyName(members[i].Key);
                        Write(writer, members[i].Value, depth + 1);
                    }

                    writer.WriteEndObject();
                }
                finally
                {
                    // Cleared so the pool holds no reference to the document.
                    ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Return(members, clearArray: true);
                }

                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item, depth + 1);
                }

                writer.WriteEndArray();
                break;
            case JsonValue value when value.GetValueKind() is JsonValueKind.Object or JsonValueKind.Array:
                // A JsonValue can wrap a .NET object that serialises as an object or array; its member order is the
                // type's, so it is round-tripped through a JsonNode to be sorted like everything else.
                Write(writer, JsonNode.Parse(value.ToJsonString()), depth);
                break;
            case JsonValue value:
                WriteScalar(writer, value);
                break;
            default:
                throw new ArgumentException($"Unsupported JSON node type {node.GetType().Name}.", nameof(node));
        }
    }

    private sealed class ByKey : IComparer<KeyValuePair<string, JsonNode?>>
    {
        public static readonly ByKey Instance = new();

        public int Compare(KeyValuePair<string, JsonNode?> x, KeyValuePair<string, JsonNode?> y) => string.CompareOrdinal(x.Key, y.Key);
    }

    private static void WriteScalar(Utf8JsonWriter writer, JsonValue value)
    {
        try
        {
            value.WriteTo(writer);
        }
        catch (ArgumentException ex)
        {
            // System.Text.Json refuses NaN and infinities; say where instead of only what.
            throw new ArgumentException($"Value at '{value.GetPath()}' is not representable in JSON: {ex.Message}", ex);
        }
    }
}
