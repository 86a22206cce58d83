using System.Text.Json;
using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;
using Pdp.Policies.Loading;

namespace Pdp.Evaluation.Testing;

/// <summary>
/// Reads <c>*.test.json</c> files: <c>{ "cases": [ { "name", "input", "data"?, "expect": { "verdict", ... } } ] }</c>.
/// Malformed files and cases are reported as problems with file and line, like policy problems.
/// </summary>
public static class PolicyTestFile
{
    private static readonly HashSet<string> CaseKeys = ["name", "input", "data", "expect"];
    private static readonly HashSet<string> ExpectKeys = ["verdict", "control_owner", "policy_id", "reason_contains", "approver_group", "min_approvals", "obligations"];

    public static IReadOnlyList<PolicyTestCase> Parse(SourceFile file, List<PolicyProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(problems);
        var before = problems.Count;
        var root = JsonSourceParser.Parse(file, "test file", 64, problems);
        if (problems.Count > before)
        {
            return [];
        }

        if (root is not JsonObject rootObject || rootObject["cases"] is not JsonArray cases)
        {
            problems.Add(new PolicyProblem(file.Path, 1, 1, "test file must be an object with a \"cases\" array"));
            return [];
        }

        var lines = CaseLines(file.Content);
        var result = new List<PolicyTestCase>();
        for (var i = 0; i < cases.Count; i++)
        {
            var line = i < lines.Count ? lines[i] : 0;
            var parsed = ParseCase(cases[i], i, out var error);
            if (parsed is null)
            {
                problems.Add(new PolicyProblem(file.Path, line, 1, $"case {i + 1}: {error}"));
                continue;
            }

            result.Add(parsed with { File = file.Path, Line = line });
        }

        return result;
    }

    private static PolicyTestCase? ParseCase(JsonNode? node, int index, out string? error)
    {
        error = null;
        if (node is not JsonObject obj)
        {
            error = "a case must be an object";
            return null;
        }

        var unknown = obj.Select(kv => kv.Key).FirstOrDefault(k => !CaseKeys.Contains(k));
        if (unknown is not null)
        {
            error = $"unknown key '{unknown}' (known: {string.Join(", ", CaseKeys)})";
            return null;
        }

        var name = obj["name"] is JsonValue n && n.TryGetValue<string>(out var text) ? text : $"case {index + 1}";
        if (obj["input"] is not JsonObject input || obj["expect"] is not JsonObject expect)
        {
            error = "\"input\" and \"expect\" must be objects";
            return null;
        }

        if (obj["data"] is { } data && data is not JsonObject)
        {
            error = "\"data\" must be an object of data documents";
            return null;
        }

        var expectation = ParseExpectation(expect, out error);
        return expectation is null ? null : new PolicyTestCase(string.Empty, 0, name, input, obj["data"] as JsonObject, expectation);
    }

    private static PolicyTestExpectation? ParseExpectation(JsonObject expect, out string? error)
    {
        error = null;
        var unknown = expect.Select(kv => kv.Key).FirstOrDefault(k => !ExpectKeys.Contains(k));
        if (unknown is not null)
        {
            error = $"unknown expectation '{unknown}' (known: {string.Join(", ", ExpectKeys)})";
            return null;
        }

        if (!VerdictText.TryParse(Text(expect, "verdict"), out var verdict))
        {
            error = "expect.verdict must be \"allow\", \"deny\" or \"require_human\"";
            return null;
        }

        int? minApprovals = expect["min_approvals"] is JsonValue m && m.TryGetValue<int>(out var count) ? count : null;
        Dictionary<string, string>? obligations = null;
        if (expect["obligations"] is JsonObject o)
        {
            obligations = o.ToDictionary(kv => kv.Key, kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : kv.Value?.ToJsonString() ?? "null", StringComparer.Ordinal);
        }

        return new PolicyTestExpectation(verdict, Text(expect, "control_owner"), Text(expect, "policy_id"), Text(expect, "reason_contains"), Text(expect, "approver_group"), minApprovals, obligations);
    }

    private static string? Text(JsonObject obj, string key) => obj[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Line of each case's opening brace, found by reading the JSON tokens (JsonNode keeps no positions).</summary>
    private static List<int> CaseLines(string content)
    {
        var lines = new List<int>();
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
        var inCases = false;
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName)
                {
                    inCases = reader.ValueTextEquals("cases");
                }
                else if (inCases && reader.CurrentDepth == 2 && reader.TokenType == JsonTokenType.StartObject)
                {
                    lines.Add(LineAt(bytes, (int)reader.TokenStartIndex));
                }
            }
        }
        catch (JsonException)
        {
            // Already reported by the parse above.
        }

        return lines;
    }

    private static int LineAt(byte[] bytes, int offset) => 1 + bytes.AsSpan(0, offset).Count((byte)'\n');
}
