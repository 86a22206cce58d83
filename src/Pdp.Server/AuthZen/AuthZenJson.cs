using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Pdp.Server.AuthZen;

/// <summary>
/// The JSON side of the HTTPS binding: the content type, a bounded read of the body, a strict parse (one
/// JSON object, unique member names as I-JSON asks), and a checked copy of caller-supplied objects
/// (nesting depth, finite numbers; valid Unicode is checked at the parse) so nothing a policy or the trail cannot hold gets in.
/// </summary>
internal static class AuthZenJson
{
    /// <summary>Nesting accepted by the parser: the envelope (request, evaluations, item, context) plus the deepest object allowed inside.</summary>
    private const int ParserMaxDepth = 64;

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = ParserMaxDepth, AllowDuplicateProperties = false };

    /// <summary>Whether <paramref name="contentType"/> is <c>application/json</c> (parameters allowed; a charset must be UTF-8).</summary>
    public static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var charset = media.Charset;
        return !charset.HasValue || charset.Value!.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads the whole body, refusing with 413 as soon as it is larger than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpContext context, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        // Kestrel enforces the same bound (its default is 30 MB, whatever Pdp:AuthZen:MaxRequestBytes says).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        using var body = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (body.Length + read > maxBytes)
                {
                    throw TooLarge(maxBytes);
                }

                body.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e)
        {
            throw e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? TooLarge(maxBytes)
                : AuthZenRequestException.BadRequest("body", "could not be read as an HTTP request body");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return body.ToArray();
    }

    /// <summary>Parses <paramref name="utf8"/> as one JSON object (the binding's only top-level form).</summary>
    public static JsonObject ParseObject(byte[] utf8)
    {
        JsonNode? node;
        try
        {
            using (var document = JsonDocument.Parse(utf8, ParseOptions))
            {
                CheckUnicode(document.RootElement, string.Empty);
            }

            node = JsonNode.Parse(utf8, nodeOptions: null, ParseOptions);
        }
        catch (JsonException e)
        {
            throw AuthZenRequestException.BadRequest("body", $"is not valid JSON ({e.Message})");
        }
        catch (InvalidOperationException)
        {
            // The duplicate-name check unescapes every member name and refuses an unpaired surrogate in one.
            throw AuthZenRequestException.BadRequest("body", "holds a member name that is not valid Unicode (an unpaired surrogate)");
        }

        return node as JsonObject ?? throw AuthZenRequestException.BadRequest("body", "must be a JSON object");
    }

    /// <summary>
    /// A checked, detached copy of an optional object the caller supplied (<c>properties</c>, <c>context</c>):
    /// absent or null gives an empty object; anything else must be an object nested at most
    /// <paramref name="maxDepth"/> levels (the object itself is level 1, as for the gRPC Structs).
    /// </summary>
    public static JsonObject OptionalObject(JsonNode? node, string path, int maxDepth) => node switch
    {
        null => [],
        JsonObject => (JsonObject)Copy(node, path, 1, maxDepth)!,
        _ => throw AuthZenRequestException.BadRequest(path, "must be an object"),
    };

    /// <summary>A required, non-empty string of at most <paramref name="maxLength"/> characters.</summary>
    public static string RequiredString(JsonObject parent, string key, string path, int maxLength)
    {
        var node = parent[key];
        if (node is null)
        {
            throw AuthZenRequestException.BadRequest(path, "is required");
        }

        return OptionalString(node, path, maxLength) is { Length: > 0 } text
            ? text
            : throw AuthZenRequestException.BadRequest(path, "must not be empty");
    }

    /// <summary>A string of at most <paramref name="maxLength"/> characters, or null when <paramref name="node"/> is absent or null.</summary>
    public static string? OptionalString(JsonNode? node, string path, int maxLength)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            throw AuthZenRequestException.BadRequest(path, "must be a string");
        }

        var text = value.GetValue<string>();
        if (text.Length > maxLength)
        {
            throw AuthZenRequestException.BadRequest(path, $"is longer than {maxLength} characters");
        }

        return text;
    }

    private static JsonNode? Copy(JsonNode? node, string path, int depth, int maxDepth)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject source:
                TooDeep(depth, maxDepth, path);
                var copy = new JsonObject();
                foreach (var (key, item) in source)
                {
                    copy[key] = Copy(item, $"{path}.{key}", depth + 1, maxDepth);
                }

                return copy;
            case JsonArray array:
                TooDeep(depth, maxDepth, path);
                var list = new JsonArray();
                for (var i = 0; i < array.Count; i++)
                {
                    list.Add(Copy(array[i], $"{path}[{i}]", depth + 1, maxDepth));
                }

                return list;
            default:
                return Scalar(node.AsValue(), path);
        }
    }

    private static JsonValue Scalar(JsonValue value, string path)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                return JsonValue.Create(value.GetValue<string>());
            case JsonValueKind.True:
                return JsonValue.Create(true);
            case JsonValueKind.False:
                return JsonValue.Create(false);
            default:
                // Numbers become doubles, as in the gRPC Structs: what the policies and the trail see is the same either way.
                return value.TryGetValue<double>(out var number) && double.IsFinite(number)
                    ? JsonValue.Create(number)
                    : throw AuthZenRequestException.BadRequest(path, "must be a number within the range of an IEEE 754 double");
        }
    }

    private static void TooDeep(int depth, int maxDepth, string path)
    {
        if (depth > maxDepth)
        {
            throw AuthZenRequestException.BadRequest(path, $"is nested deeper than {maxDepth} levels (Pdp:MaxStructDepth)");
        }
    }

    /// <summary>
    /// Refuses text that is not Unicode: a JSON escape such as <c>\ud800</c> can carry an unpaired surrogate, which
    /// no policy, trail record or answer could hold. (Member names are checked by the parser's duplicate-name check,
    /// which unescapes each one.) Named by its path: <c>context.note</c>, <c>evaluations[1].subject.id</c>.
    /// </summary>
    private static void CheckUnicode(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    CheckUnicode(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}");
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    CheckUnicode(item, $"{path}[{index++}]");
                }

                break;
            case JsonValueKind.String:
                try
                {
                    _ = element.GetString();
                }
                catch (InvalidOperationException)
                {
                    throw AuthZenRequestException.BadRequest(path, "is not valid Unicode (an unpaired surrogate)");
                }

                break;
        }
    }

    private static AuthZenRequestException TooLarge(int maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, "body", $"is larger than {maxBytes} bytes (Pdp:AuthZen:MaxRequestBytes)");
}
