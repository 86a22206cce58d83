using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace Pdp.Policies.Model;

/// <summary>
/// An immutable, fully validated set of policies and data. A running server swaps whole sets, so a
/// request sees one revision from start to end.
/// </summary>
public sealed class PolicySet
{
    private readonly FrozenDictionary<string, CompiledPolicy> _byId;

    public PolicySet(string revision, IReadOnlyList<CompiledPolicy> policies, JsonObject data, IReadOnlyList<string> files, DateTimeOffset loadedAt)
    {
        Revision = revision;
        Policies = policies.OrderBy(p => p.Id, StringComparer.Ordinal).ToArray();
        Data = data;
        Files = files;
        LoadedAt = loadedAt;
        _byId = Policies.ToFrozenDictionary(p => p.Id, StringComparer.Ordinal);
    }

    /// <summary>Content hash of every policy and data file (<c>sha256:</c> and 16 hex digits).</summary>
    public string Revision { get; }

    /// <summary>Policies in ascending id order: the order in which results are combined and reported.</summary>
    public IReadOnlyList<CompiledPolicy> Policies { get; }

    /// <summary>The merge of the data files, keyed by file name. Treated as read-only.</summary>
    public JsonObject Data { get; }

    /// <summary>Relative paths of the files the set was built from.</summary>
    public IReadOnlyList<string> Files { get; }

    public DateTimeOffset LoadedAt { get; }

    public CompiledPolicy? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>
    /// The same policies with some data documents replaced whole (for tests and <c>pdp eval --data</c>).
    /// The revision is marked, since what it decides may differ from the set as loaded.
    /// </summary>
    public PolicySet WithData(JsonObject documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var data = Data.DeepClone().AsObject();
        foreach (var (name, document) in documents)
        {
            data[name] = document?.DeepClone();
        }

        return new PolicySet(Revision + "+data", Policies, data, Files, LoadedAt);
    }
}
