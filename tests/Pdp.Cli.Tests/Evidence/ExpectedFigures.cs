using System.Text.Json.Nodes;

namespace Pdp.Cli.Tests.Evidence;

/// <summary>
/// The figures a report must show for a group, computed from the scenario's own log of what it did: decisions of the
/// period's phases whose policy matches; review events of those phases whose decision matches, wherever the decision
/// fell. Same shape as a group of the report's JSON, so the two compare as documents.
/// </summary>
internal static class ExpectedFigures
{
    public static JsonObject Of(IReadOnlyList<Happened> log, Func<EvidenceDomain, bool> matches, int[] phases)
    {
        var decisions = log.Where(h => h.IsDecision && phases.Contains(h.Phase) && matches(h.Domain)).ToList();
        var reviews = log.Where(h => !h.IsDecision && phases.Contains(h.Phase) && matches(h.Domain)).ToList();
        int Decided(string kind) => decisions.Count(d => d.Kind == kind);
        int Reviewed(string kind) => reviews.Count(r => r.Kind == kind);
        var dispositions = reviews.Count(r => r.IsDisposition);
        var overrides = reviews.Count(r => r.IsOverride);
        var seconds = reviews.Where(r => r.Seconds is not null).Select(r => r.Seconds!.Value).ToList();
        var fourEyes = decisions.Where(d => d.Kind == "require_human" && d.MinApprovals > 1).ToList();

        // Completion counts an approval made before the period's end, whenever the period began.
        var completed = fourEyes.Count(d => log.Any(h => h.DecisionId == d.DecisionId && h.Kind == "approved" && h.Settles && h.Phase <= phases.Max()));
        var refused = new JsonObject();
        foreach (var rule in reviews.Where(r => r.Kind == "refused").GroupBy(r => r.Rule).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            refused[rule.Key] = rule.Count();
        }

        var approvals = reviews.Where(r => r.Kind == "approved").GroupBy(r => r.Reviewer).Select(g => (Reviewer: g.Key, Stamps: g.Count(r => r.Stamp), Approvals: g.Count())).ToList();
        return new JsonObject
        {
            ["decisions"] = new JsonObject { ["allow"] = Decided("allow"), ["deny"] = Decided("deny"), ["require_human"] = Decided("require_human") },
            ["reviews"] = new JsonObject
            {
                ["opened"] = Decided("require_human"),
                ["approved"] = Reviewed("approved"),
                ["rejected"] = Reviewed("rejected"),
                ["modified"] = Reviewed("modified"),
                ["reversed"] = Reviewed("reversed"),
                ["expired"] = Reviewed("expired"),
                ["escalated"] = 0,
            },
            ["dispositions"] = dispositions,
            ["overrides"] = overrides,
            ["override_ratio"] = Ratio(overrides, dispositions),
            ["time_to_disposition_seconds"] = new JsonObject { ["count"] = seconds.Count, ["median"] = NearestRank(seconds, 0.5), ["p90"] = NearestRank(seconds, 0.9) },
            ["rubber_stamps"] = reviews.Count(r => r.Stamp),
            ["rubber_stamp_reviewers"] = new JsonArray([.. approvals.Where(a => a.Stamps > 0)
                .OrderByDescending(a => (double)a.Stamps / a.Approvals).ThenByDescending(a => a.Stamps).ThenBy(a => a.Reviewer, StringComparer.Ordinal).Take(5)
                .Select(a => (JsonNode)new JsonObject { ["reviewer"] = a.Reviewer, ["rubber_stamps"] = a.Stamps, ["approvals"] = a.Approvals, ["share"] = Ratio(a.Stamps, a.Approvals) })]),
            ["four_eyes"] = new JsonObject { ["decisions"] = fourEyes.Count, ["completed"] = completed, ["completion"] = Ratio(completed, fourEyes.Count) },
            ["refused"] = refused,
            ["top_override_policies"] = Top(reviews.Where(r => r.IsOverride).Select(r => r.Domain.Policy), "policy"),
            ["top_override_actions"] = Top(reviews.Where(r => r.IsOverride).Select(r => r.ActionType), "action_type"),
        };
    }

    /// <summary>The report's group object without its name (<c>owner</c>, <c>framework</c>), to compare with <see cref="Of"/>.</summary>
    public static JsonObject Figures(JsonNode group)
    {
        var copy = group.DeepClone().AsObject();
        copy.Remove("owner");
        copy.Remove("framework");
        return copy;
    }

    /// <summary>Fails naming <paramref name="what"/> and both documents unless the group's figures are <paramref name="expected"/>.</summary>
    public static void AssertEqual(JsonObject expected, JsonNode actual, string what) =>
        Xunit.Assert.True(JsonNode.DeepEquals(expected, Figures(actual)), $"{what}:\nexpected {expected.ToJsonString()}\nactual   {Figures(actual).ToJsonString()}");

    private static double? Ratio(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    private static double? NearestRank(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        return Math.Round(sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1)], 1);
    }

    private static JsonArray Top(IEnumerable<string> names, string key) =>
        new([.. names.GroupBy(n => n).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(5)
            .Select(g => (JsonNode)new JsonObject { [key] = g.Key, ["overrides"] = g.Count() })]);
}
