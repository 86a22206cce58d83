using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Pdp.Policies.Loading;

namespace Pdp.Policies.Model;

/// <summary>
/// An immutable, fully validated set of policies, their helper modules, data and what each policy's
/// <c>prepare(data)</c> made of the data. A running server swaps whole sets, so a request sees one revision
/// from start to end.
/// </summary>
public sealed class PolicySet
{
    private static readonly FrozenDictionary<string, PreparedData> NothingPrepared = FrozenDictionary<string, PreparedData>.Empty;

    private readonly FrozenDictionary<string, CompiledPolicy> _byId;
    private readonly FrozenDictionary<string, PreparedData> _prepared;
    private readonly PolicyPreparer? _preparer;

    public PolicySet(string revision, IReadOnlyList<CompiledPolicy> policies, JsonObject data, IReadOnlyList<string> files, DateTimeOffset loadedAt)
        : this(revision, policies, [], data, null, null, files, loadedAt)
    {
    }

    /// <param name="prepared">The result of each preparing policy's <c>prepare(data)</c>, by policy id.</param>
    /// <param name="preparer">What runs <c>prepare</c> again when <see cref="WithData"/> replaces the data.</param>
    public PolicySet(
        string revision,
        IReadOnlyList<CompiledPolicy> policies,
        IReadOnlyList<CompiledLibrary> libraries,
        JsonObject data,
        IReadOnlyDictionary<string, PreparedData>? prepared,
        PolicyPreparer? preparer,
        IReadOnlyList<string> files,
        DateTimeOffset loadedAt)
    {
        ArgumentNullException.ThrowIfNull(policies);
        Revision = revision;
        Policies = policies.OrderBy(p => p.Id, StringComparer.Ordinal).ToArray();
        Libraries = libraries;
        Data = data;
        Files = files;
        LoadedAt = loadedAt;
        _byId = Policies.ToFrozenDictionary(p => p.Id, StringComparer.Ordinal);
        _prepared = prepared?.ToFrozenDictionary(StringComparer.Ordinal) ?? NothingPrepared;
        _preparer = preparer;
    }

    /// <summary>Content hash of every policy, helper module and data file (<c>sha256:</c> and 16 hex digits).</summary>
    public string Revision { get; }

    /// <summary>Policies in ascending id order: the order in which results are combined and reported.</summary>
    public IReadOnlyList<CompiledPolicy> Policies { get; }

    /// <summary>The helper modules (<c>lib/*.js</c>) policies may import; each engine registers all of them.</summary>
    public IReadOnlyList<CompiledLibrary> Libraries { get; }

    /// <summary>The merge of the data files, keyed by file name. Treated as read-only.</summary>
    public JsonObject Data { get; }

    /// <summary>Relative paths of the files the set was built from.</summary>
    public IReadOnlyList<string> Files { get; }

    public DateTimeOffset LoadedAt { get; }

    public CompiledPolicy? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>What the policy's <c>prepare(data)</c> returned for this set, or null when it exports no <c>prepare</c>.</summary>
    public PreparedData? PreparedFor(string policyId)
    {
        if (_prepared.TryGetValue(policyId, out var prepared))
        {
            return prepared;
        }

        // A preparing policy with nothing recorded was never prepared for this data: it must not run on stale or no values.
        return Find(policyId) is { HasPrepare: true } ? new PreparedData(null, "prepare(data) was not run for this policy set") : null;
    }

    /// <summary>
    /// The same policies with some data documents replaced whole (for tests and <c>pdp eval --data</c>), and every
    /// <c>prepare</c> run again on the new data; a <c>prepare</c> that fails on it makes its policy fail closed.
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

        var prepared = _preparer?.Prepare(Policies, Libraries, data);
        return new PolicySet(Revision + "+data", Policies, Libraries, data, prepared, _preparer, Files, LoadedAt);
    }
}
