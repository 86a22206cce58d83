using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pdp.Policies.Loading;

/// <summary>
/// Parses the JSON files of a policy set (data documents, test cases) and reports what is wrong with
/// them as located problems: syntax errors where System.Text.Json puts them, and duplicate keys — which
/// it refuses without a position — at the second occurrence, found with a token scan.
/// </summary>
public static class JsonSourceParser
{
    public static JsonNode? Parse(SourceFile file, string what, int maxDepth, List<PolicyProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(problems);
        var bytes = Encoding.UTF8.GetBytes(file.Content);
        try
        {
            if (FindDuplicateKey(bytes, maxDepth) is { } duplicate)
            {
                var (line, column) = Position(bytes, duplicate.Offset);
                problems.Add(new PolicyProblem(file.Path, line, column, $"{what} is not valid JSON: duplicate key '{duplicate.Key}'"));
                return null;
            }

            // Duplicates were ruled out above; which of two values "wins" is not left to a parser.
            return JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? -1) + 1;
            var column = (int)(e.BytePositionInLine ?? -1) + 1;
            var message = e.Message;
            var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
            problems.Add(new PolicyProblem(file.Path, line, column, $"{what} is not valid JSON: {(cut > 0 ? message[..cut] : message)}"));
            return null;
        }
    }

    private static (string Key, int Offset)? FindDuplicateKey(byte[] bytes, int maxDepth)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = maxDepth });
        var open = new Stack<HashSet<string>>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    open.Push(new HashSet<string>(StringComparer.Ordinal));
                    break;
                case JsonTokenType.EndObject:
                    open.Pop();
                    break;
                case JsonTokenType.PropertyName when !open.Peek().Add(reader.GetString()!):
                    return (reader.GetString()!, (int)reader.TokenStartIndex);
            }
        }

        return null;
    }

    private static (int Line, int Column) Position(byte[] bytes, int offset)
    {
        var before = bytes.AsSpan(0, offset);
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return (1 + before.Count((byte)'\n'), 1 + Encoding.UTF8.GetCharCount(before[lineStart..]));
    }
}
