using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pdp.Cli;

/// <summary>Reads a JSON document given on the command line, reporting unreadable or invalid files with file, line and column.</summary>
internal static class JsonInput
{
    /// <summary>The path that means standard input.</summary>
    public const string StandardInput = "-";

    /// <summary>Deepest nesting accepted, as for data documents.</summary>
    private const int MaxDepth = 64;

    /// <summary>
    /// Reads <paramref name="path"/> (or standard input for <c>-</c>) as JSON. Returns false after writing
    /// the reason to standard error; <paramref name="what"/> names the document in that message.
    /// </summary>
    public static bool TryRead(string path, string what, CliIo io, out JsonNode? node)
    {
        node = null;
        var display = path == StandardInput ? "<stdin>" : path;
        string text;
        try
        {
            text = path == StandardInput ? io.In.ReadToEnd() : File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            io.Fail($"cannot read {what} '{display}': {e.Message}");
            return false;
        }

        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth, AllowDuplicateProperties = false });
            return true;
        }
        catch (JsonException e)
        {
            var line = (e.LineNumber ?? 0) + 1;
            var column = (e.BytePositionInLine ?? 0) + 1;
            io.Error.WriteLine($"{display}:{line}:{column}: {what} is not valid JSON: {FirstSentence(e.Message)}");
            return false;
        }
    }

    /// <summary>Like <see cref="TryRead"/>, but the document must be a JSON object.</summary>
    public static bool TryReadObject(string path, string what, CliIo io, out JsonObject? obj)
    {
        obj = null;
        if (!TryRead(path, what, io, out var node))
        {
            return false;
        }

        if (node is not JsonObject o)
        {
            io.Fail($"{what} '{(path == StandardInput ? "<stdin>" : path)}' must be a JSON object");
            return false;
        }

        obj = o;
        return true;
    }

    /// <summary>The parser's message without the position and path it appends (the location is already in front).</summary>
    private static string FirstSentence(string message)
    {
        foreach (var marker in new[] { " Path:", " LineNumber:" })
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        return message;
    }
}
