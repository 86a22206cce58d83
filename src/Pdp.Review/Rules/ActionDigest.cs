using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pdp.Audit.Format;

namespace Pdp.Review.Rules;

/// <summary>
/// The digest that binds an approval to one exact action: SHA-256 over the canonical JSON of the
/// action's type, target (kind, id, attributes) and parameters. An executor recomputes it over what it
/// is about to run and compares it with the approved digest; anything else is not what a human approved.
/// </summary>
public static class ActionDigest
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static string Of(JsonObject input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var action = input["action"]?.AsObject() ?? [];
        return Of(action["type"]?.GetValue<string>() ?? string.Empty, action["target"]?.AsObject(), action["parameters"]?.AsObject());
    }

    public static string Of(string type, JsonObject? target, JsonObject? parameters)
    {
        // Written straight into canonical form (members already in sorted order) from the nodes as they are: no
        // normalised copy of the action is built. The tests compare it with the document route.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, CanonicalJson.WriterOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();
        WriteOrEmptyObject(writer, "parameters"u8, parameters, depth: 1);
        writer.WriteStartObject("target"u8);
        WriteOrEmptyObject(writer, "attributes"u8, target?["attributes"], depth: 2);
        WriteOrEmpty(writer, "id"u8, target?["id"]);
        WriteOrEmpty(writer, "kind"u8, target?["kind"]);
        writer.WriteEndObject();
        writer.WriteString("type"u8, type);
        writer.WriteEndObject();
        writer.Flush();
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer.WrittenSpan, hash);
        if (buffer.Capacity > 256 * 1024)
        {
            t_buffer = null;
            t_writer = null;
        }

        return string.Concat("sha256:", Convert.ToHexStringLower(hash));
    }

    private static void WriteOrEmptyObject(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonNode? value, int depth)
    {
        writer.WritePropertyName(name);
        if (value is null)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        else
        {
            CanonicalJson.Write(writer, value, depth);
        }
    }

    private static void WriteOrEmpty(Utf8JsonWriter writer, ReadOnlySpan<byte> name, JsonNode? value)
    {
        writer.WritePropertyName(name);
        if (value is null)
        {
            writer.WriteStringValue(string.Empty);
        }
        else
        {
            CanonicalJson.Write(writer, value, depth: 2);
        }
    }
}
