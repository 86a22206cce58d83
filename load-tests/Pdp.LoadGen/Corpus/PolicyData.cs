using System.Text.Json.Nodes;

namespace Pdp.LoadGen.Corpus;

/// <summary>
/// What the inputs are drawn from, read from a policy directory: the exact action types of
/// <c>data/action_catalog.json</c>, the agents registered per family (<c>data/agents.json</c>), the
/// approver groups (<c>data/groups.json</c>), critical assets, paging rotations and secret grants, and
/// every <c>input</c> of the <c>*.test.json</c> cases.
/// </summary>
internal sealed class PolicyData
{
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Families { get; init; }

    public required IReadOnlyDictionary<string, IReadOnlyList<string>> AgentsByFamily { get; init; }

    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Groups { get; init; }

    public required IReadOnlyDictionary<string, IReadOnlyList<string>> CriticalAssets { get; init; }

    public required IReadOnlyList<string> Rotations { get; init; }

    public required IReadOnlyList<string> Executives { get; init; }

    /// <summary>(agent, secret) pairs with a read grant.</summary>
    public required IReadOnlyList<(string Agent, string Secret)> SecretGrants { get; init; }

    /// <summary>Policy id → its declared <c>approver_group</c> (read from the modules' <c>policy</c> objects).</summary>
    public required IReadOnlyDictionary<string, string> PolicyGroups { get; init; }

    /// <summary>The <c>input</c> of every test case, as written (partial documents).</summary>
    public required IReadOnlyList<JsonObject> TestInputs { get; init; }

    public static PolicyData Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"policy directory '{directory}' not found (use --policies DIR)");
        }

        var data = Path.Combine(directory, "data");
        JsonObject Doc(string name)
        {
            var path = Path.Combine(data, name + ".json");
            return File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject doc ? doc : [];
        }

        var critical = Doc("critical_assets");
        var paging = Doc("paging");
        var grants = (Doc("secret_grants")["read"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(g => (Text(g["agent"]), Text(g["secret"])))
            .Where(g => g.Item1.Length > 0 && g.Item2.Length > 0)
            .ToArray();
        var tests = Directory.GetFiles(directory, "*.test.json", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .SelectMany(f => (JsonNode.Parse(File.ReadAllText(f))?["cases"] as JsonArray ?? []).OfType<JsonObject>())
            .Select(c => c["input"] as JsonObject)
            .OfType<JsonObject>()
            .ToArray();
        return new PolicyData
        {
            Families = Lists(Doc("action_catalog")["families"] as JsonObject),
            AgentsByFamily = Lists(Doc("agents")["allowed_by_family"] as JsonObject),
            Groups = Lists(Doc("groups")),
            CriticalAssets = Lists(critical),
            Rotations = Strings(paging["rotations"]),
            Executives = Strings(paging["executives"]),
            SecretGrants = grants,
            PolicyGroups = Directory.GetFiles(directory, "*.js", SearchOption.TopDirectoryOnly)
                .Select(f => DeclaredGroup(File.ReadAllText(f)))
                .Where(p => p.Id.Length > 0 && p.Group.Length > 0)
                .DistinctBy(p => p.Id)
                .ToDictionary(p => p.Id, p => p.Group, StringComparer.Ordinal),
            TestInputs = tests,
        };
    }

    public IReadOnlyList<string> Critical(string kind) => CriticalAssets.TryGetValue(kind, out var list) ? list : [];

    public IReadOnlyList<string> Agents(string family) => AgentsByFamily.TryGetValue(family, out var list) ? list : [];

    /// <summary>The first <c>id: "…"</c> and <c>approver_group: "…"</c> of a module (its exported policy object).</summary>
    private static (string Id, string Group) DeclaredGroup(string source)
    {
        var id = System.Text.RegularExpressions.Regex.Match(source, "\\bid:\\s*\"([^\"]+)\"");
        var group = System.Text.RegularExpressions.Regex.Match(source, "\\bapprover_group:\\s*\"([^\"]+)\"");
        return (id.Success ? id.Groups[1].Value : string.Empty, group.Success ? group.Groups[1].Value : string.Empty);
    }

    private static Dictionary<string, IReadOnlyList<string>> Lists(JsonObject? obj) =>
        (obj ?? []).Where(kv => kv.Value is JsonArray).ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)Strings(kv.Value), StringComparer.Ordinal);

    private static string[] Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(Text).Where(s => s.Length > 0).ToArray();

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : string.Empty;
}
