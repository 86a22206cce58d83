using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Pdp.Policies.Model;

namespace Pdp.Server.Metrics;

/// <summary>
/// The label values metrics may carry, derived from the policy set being served: policy ids, the
/// action patterns policies name, and the reviewers the data's groups name. Anything else a caller
/// sends is counted as <see cref="Other"/>, so no caller can create a new time series.
/// </summary>
public sealed class MetricLabels
{
    public const string Other = "other";
    public const string Default = "default";

    private MetricLabels(FrozenSet<string> policies, FrozenSet<string> reviewers, PolicySet? set)
    {
        Policies = policies;
        Reviewers = reviewers;
        Set = set;
    }

    public static MetricLabels Empty { get; } = new(FrozenSet<string>.Empty, FrozenSet<string>.Empty, null);

    public FrozenSet<string> Policies { get; }

    public FrozenSet<string> Reviewers { get; }

    private PolicySet? Set { get; }

    public static MetricLabels For(PolicySet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var reviewers = (set.Data["groups"] as JsonObject)?
            .SelectMany(g => g.Value as JsonArray ?? [])
            .Select(m => m is JsonValue v && v.TryGetValue<string>(out var s) ? s : null)
            .OfType<string>()
            .ToFrozenSet(StringComparer.Ordinal) ?? FrozenSet<string>.Empty;
        return new MetricLabels(set.Policies.Select(p => p.Id).ToFrozenSet(StringComparer.Ordinal), reviewers, set);
    }

    public string Policy(string? id) => id is null ? Other : id == Default || Policies.Contains(id) ? id : Other;

    public string Reviewer(string reviewer) => Reviewers.Contains(reviewer) ? reviewer : Other;

    /// <summary>The deciding policy's pattern that matched the action type (exact types are named by a policy, families by their pattern).</summary>
    public string Action(string actionType, string? policyId)
    {
        var pattern = policyId is null ? null : Set?.Find(policyId)?.Metadata.AppliesTo.FirstOrDefault(p => p.Matches(actionType));
        return pattern?.Text ?? Other;
    }
}
