using System.Text.Json.Nodes;
using Pdp.Policies.Loading;
using Pdp.Policies.Model;

namespace Pdp.Cli;

/// <summary>
/// The action types a <c>--require-coverage</c> file lists: a JSON array of action types, or an object
/// whose values are such arrays or, recursively, such objects (so <c>data/action_catalog.json</c>, with
/// its <c>families</c> object, works as it is). A type is covered when a policy names it with an exact or
/// family pattern; <c>*</c> does not count, since a catch-all is not a policy written for the type.
/// </summary>
internal sealed class CoverageRequirement
{
    private CoverageRequirement(string file, IReadOnlyList<string> actionTypes)
    {
        File = file;
        ActionTypes = actionTypes;
    }

    public string File { get; }

    public IReadOnlyList<string> ActionTypes { get; }

    /// <summary>Reads the file, or returns null after reporting why it is unusable.</summary>
    public static CoverageRequirement? Read(string file, CliIo io)
    {
        if (!JsonInput.TryRead(file, "coverage file", io, out var root))
        {
            return null;
        }

        var types = new List<string>();
        if (root is not (JsonArray or JsonObject) || !Collect(root, types))
        {
            io.Fail($"coverage file '{file}' must be a JSON array of action types, or an object whose values are such arrays (like data/action_catalog.json)");
            return null;
        }

        return new CoverageRequirement(file, types.Distinct(StringComparer.Ordinal).ToArray());
    }

    /// <summary>One problem per listed type that is malformed or that no specific policy covers.</summary>
    public IEnumerable<PolicyProblem> Check(PolicySet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        foreach (var type in ActionTypes)
        {
            if (!ActionType.IsValid(type))
            {
                yield return new PolicyProblem(File, 0, 0, $"'{type}' is not a valid action type (dotted lowercase segments such as 'iam.role.grant')");
            }
            else if (!set.Policies.Any(p => p.Metadata.AppliesTo.Any(a => a.Kind != ActionPatternKind.Any && a.Matches(type))))
            {
                yield return new PolicyProblem(File, 0, 0, $"action type '{type}' is covered by no policy");
            }
        }
    }

    private static bool Collect(JsonNode? node, List<string> types)
    {
        switch (node)
        {
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not JsonValue value || !value.TryGetValue<string>(out var type))
                    {
                        return false;
                    }

                    types.Add(type);
                }

                return true;
            case JsonObject obj:
                return obj.All(kv => kv.Value is (JsonArray or JsonObject) && Collect(kv.Value, types));
            default:
                return false;
        }
    }
}
