using System.Text;
using System.Text.Json;
using Pdp.Policies.Loading;

namespace Pdp.Cli;

/// <summary>
/// Checks the tool makes on top of the core loader, for JSON the core accepts but cannot use: a data or
/// test file with a duplicate key parses lazily, then throws the first time it is read (for a data file,
/// at every evaluation), and a test file whose root is not an object makes the test-file parser throw.
/// Each is reported as a located problem instead.
/// </summary>
internal static class SourceChecks
{
    private const int MaxDepth = 64;

    /// <summary>A problem for a file that is valid JSON only if duplicate keys are allowed, located at the second occurrence.</summary>
    public static PolicyProblem? DuplicateKeys(SourceFile file, string what)
    {
        ArgumentNullException.ThrowIfNull(file);
        var bytes = Encoding.UTF8.GetBytes(file.Content);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = MaxDepth });
        var open = new Stack<HashSet<string>>();
        try
        {
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
                        var (line, column) = Position(bytes, (int)reader.TokenStartIndex);
                        return new PolicyProblem(file.Path, line, column, $"{what} is not valid JSON: duplicate key '{reader.GetString()}'");
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON at all: the core reports it, with its position.
        }

        return null;
    }

    /// <summary>
    /// A problem the test-file parser would crash on rather than report (a duplicate key, a root that is
    /// not an object), or null when <see cref="Pdp.Evaluation.Testing.PolicyTestFile.Parse"/> can take the file.
    /// </summary>
    public static PolicyProblem? TestFileShape(SourceFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var duplicate = DuplicateKeys(file, "test file");
        if (duplicate is not null)
        {
            return duplicate;
        }

        try
        {
            using var document = JsonDocument.Parse(file.Content, new JsonDocumentOptions { MaxDepth = MaxDepth });
            return document.RootElement.ValueKind is JsonValueKind.Object or JsonValueKind.Null
                ? null
                : new PolicyProblem(file.Path, 1, 1, "test file must be an object with a \"cases\" array");
        }
        catch (JsonException)
        {
            return null; // Reported by the test-file parser with its position.
        }
    }

    private static (int Line, int Column) Position(byte[] bytes, int offset)
    {
        var before = bytes.AsSpan(0, offset);
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return (1 + before.Count((byte)'\n'), 1 + Encoding.UTF8.GetCharCount(before[lineStart..]));
    }
}
