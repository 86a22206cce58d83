using System.Globalization;
using System.Text.Json.Nodes;
using Pdp.Review.Events;
using Pdp.Review.Model;

namespace Pdp.Evidence.Collection;

/// <summary>
/// A report's figures for one filter: the totals, one group per control owner and per framework reference, the daily
/// series and the time-to-disposition distribution the charts draw, and the policy revisions in force.
/// </summary>
public sealed class EvidenceFigures
{
    /// <summary>The distribution's bins: upper bounds in seconds (the last bin is open).</summary>
    private static readonly (string Label, double Upto)[] Bins =
    [
        ("< 10 s", 10), ("10–30 s", 30), ("30 s–1 min", 60), ("1–5 min", 300), ("5–15 min", 900),
        ("15 min–1 h", 3600), ("1–4 h", 14_400), ("4–24 h", 86_400), ("> 24 h", double.PositiveInfinity),
    ];

    private EvidenceFigures(JsonObject totals, JsonArray owners, JsonArray frameworks, JsonArray daily, JsonArray histogram, JsonArray revisions, int unattributed)
    {
        Totals = totals;
        Owners = owners;
        Frameworks = frameworks;
        Daily = daily;
        Histogram = histogram;
        Revisions = revisions;
        Unattributed = unattributed;
    }

    /// <summary>Everything in scope.</summary>
    public JsonObject Totals { get; }

    /// <summary>One object per control owner (<c>owner</c> first), by name.</summary>
    public JsonArray Owners { get; }

    /// <summary>One object per framework reference (<c>framework</c> first), by name.</summary>
    public JsonArray Frameworks { get; }

    /// <summary>Per day (UTC) in scope: decisions by verdict, dispositions, overrides and the day's override ratio.</summary>
    public JsonArray Daily { get; }

    /// <summary>Time to disposition of every settled review in scope, in <see cref="Bins"/>.</summary>
    public JsonArray Histogram { get; }

    /// <summary>The policy revisions in force during the period: the one in force at its start and every one loaded in it.</summary>
    public JsonArray Revisions { get; }

    /// <summary>Review records in the period whose decision is not in the trail (e.g. removed by retention), so not counted.</summary>
    public int Unattributed { get; }

    internal static EvidenceFigures Build(EvidenceFilter filter, IReadOnlyDictionary<string, DecisionNote> decisions, IReadOnlyList<ReviewNote> reviews, IReadOnlyList<PolicyLoadEvent> loads)
    {
        var frameworksOf = FrameworkResolver(loads);
        var total = new Tally();
        var owners = new SortedDictionary<string, Tally>(StringComparer.Ordinal);
        var frameworks = new SortedDictionary<string, Tally>(StringComparer.Ordinal);
        var days = new SortedDictionary<DateOnly, DayCounts>();
        var revisionDecisions = new Dictionary<string, int>(StringComparer.Ordinal);
        var completed = reviews.Where(r => r.Kind == ReviewKind.Approved && r.Settles && r.At < filter.To).Select(r => r.DecisionId).ToHashSet(StringComparer.Ordinal);

        IEnumerable<Tally> GroupsOf(DecisionNote decision, IReadOnlyList<string> refs)
        {
            yield return total;
            yield return Group(owners, decision.Owner);
            foreach (var framework in refs.Where(f => filter.Framework is null || f == filter.Framework))
            {
                yield return Group(frameworks, framework);
            }
        }

        foreach (var decision in decisions.Values.Where(d => filter.InPeriod(d.DecidedAt)))
        {
            var refs = frameworksOf(decision);
            if (!filter.Matches(decision.Owner, decision.Policy, refs))
            {
                continue;
            }

            foreach (var group in GroupsOf(decision, refs))
            {
                group.AddDecision(decision, completed.Contains(decision.DecisionId));
            }

            Day(days, decision.DecidedAt).Verdicts[decision.Verdict]++;
            revisionDecisions[decision.Revision] = revisionDecisions.GetValueOrDefault(decision.Revision) + 1;
        }

        var unattributed = 0;
        foreach (var review in reviews.Where(r => filter.InPeriod(r.At)))
        {
            if (!decisions.TryGetValue(review.DecisionId, out var decision))
            {
                unattributed++;
                continue;
            }

            var refs = frameworksOf(decision);
            if (!filter.Matches(decision.Owner, decision.Policy, refs))
            {
                continue;
            }

            foreach (var group in GroupsOf(decision, refs))
            {
                group.AddReview(review, decision);
            }

            if (review.IsDisposition)
            {
                var day = Day(days, review.At);
                day.Dispositions++;
                day.Overrides += review.IsOverride ? 1 : 0;
            }
        }

        return new EvidenceFigures(
            total.ToJson(),
            new JsonArray([.. owners.Select(o => (JsonNode)o.Value.ToJson("owner", o.Key))]),
            new JsonArray([.. frameworks.Select(f => (JsonNode)f.Value.ToJson("framework", f.Key))]),
            DailySeries(days),
            Distribution(total.DispositionSeconds),
            RevisionsInForce(filter, loads, revisionDecisions),
            unattributed);
    }

    private static Tally Group(SortedDictionary<string, Tally> groups, string name)
    {
        if (!groups.TryGetValue(name, out var tally))
        {
            groups[name] = tally = new Tally();
        }

        return tally;
    }

    /// <summary>
    /// A decision's framework references: those of its deciding policy and of every policy that gave a reason, as the
    /// revision it was decided under lists them (else the last revision loaded before it, else the last one loaded).
    /// </summary>
    private static Func<DecisionNote, IReadOnlyList<string>> FrameworkResolver(IReadOnlyList<PolicyLoadEvent> loads)
    {
        var byRevision = new Dictionary<string, PolicyLoadEvent>(StringComparer.Ordinal);
        foreach (var load in loads)
        {
            byRevision[load.Revision] = load;
        }

        var ordered = loads.OrderBy(l => l.LoadedAt).ToArray();
        return decision =>
        {
            var load = byRevision.GetValueOrDefault(decision.Revision) ?? ordered.LastOrDefault(l => l.LoadedAt <= decision.DecidedAt) ?? ordered.LastOrDefault();
            if (load is null)
            {
                return [];
            }

            var policies = decision.ReasonPolicies.Append(decision.Policy).ToHashSet(StringComparer.Ordinal);
            return [.. load.Policies.Where(p => policies.Contains(p.Id)).SelectMany(p => p.Frameworks).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        };
    }

    private static DayCounts Day(SortedDictionary<DateOnly, DayCounts> days, DateTimeOffset at)
    {
        var date = DateOnly.FromDateTime(at.UtcDateTime);
        if (!days.TryGetValue(date, out var day))
        {
            days[date] = day = new DayCounts();
        }

        return day;
    }

    /// <summary>Every day from the first to the last with anything in scope, so the charts' gaps are days with nothing.</summary>
    private static JsonArray DailySeries(SortedDictionary<DateOnly, DayCounts> days)
    {
        var series = new JsonArray();
        if (days.Count == 0)
        {
            return series;
        }

        for (var date = days.Keys.First(); date <= days.Keys.Last(); date = date.AddDays(1))
        {
            var day = days.GetValueOrDefault(date) ?? new DayCounts();
            series.Add(new JsonObject
            {
                ["date"] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["allow"] = day.Verdicts[DecisionVerdict.Allow],
                ["deny"] = day.Verdicts[DecisionVerdict.Deny],
                ["require_human"] = day.Verdicts[DecisionVerdict.RequireHuman],
                ["dispositions"] = day.Dispositions,
                ["overrides"] = day.Overrides,
                ["override_ratio"] = Tally.Ratio(day.Overrides, day.Dispositions),
            });
        }

        return series;
    }

    private static JsonArray Distribution(IReadOnlyList<double> seconds)
    {
        var histogram = new JsonArray();
        var from = 0d;
        foreach (var (label, upto) in Bins)
        {
            var low = from;
            histogram.Add(new JsonObject
            {
                ["bin"] = label,
                ["from_seconds"] = low,
                ["to_seconds"] = double.IsPositiveInfinity(upto) ? null : upto,
                ["count"] = seconds.Count(s => s >= low && s < upto),
            });
            from = upto;
        }

        return histogram;
    }

    private static JsonArray RevisionsInForce(EvidenceFilter filter, IReadOnlyList<PolicyLoadEvent> loads, Dictionary<string, int> decisions)
    {
        var ordered = loads.OrderBy(l => l.LoadedAt).ToArray();
        var atStart = ordered.LastOrDefault(l => l.LoadedAt <= filter.From);
        var inForce = ordered.Where(l => l == atStart || filter.InPeriod(l.LoadedAt)).ToList();
        var revisions = new JsonArray();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var load in inForce)
        {
            listed.Add(load.Revision);
            revisions.Add(new JsonObject
            {
                ["revision"] = load.Revision,
                ["loaded_at"] = EventTime.Format(load.LoadedAt),
                ["origin"] = load.Origin,
                ["policies"] = new JsonArray([.. load.Policies.Select(p => (JsonNode)p.Id)]),
                ["decisions"] = decisions.GetValueOrDefault(load.Revision),
            });
        }

        // Revisions decisions name that no policy_load record in the trail does (a fleet log has none).
        foreach (var (revision, count) in decisions.Where(d => !listed.Contains(d.Key)).OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            revisions.Add(new JsonObject { ["revision"] = revision, ["loaded_at"] = null, ["origin"] = null, ["policies"] = new JsonArray(), ["decisions"] = count });
        }

        return revisions;
    }

    private sealed class DayCounts
    {
        public Dictionary<DecisionVerdict, int> Verdicts { get; } = new() { [DecisionVerdict.Allow] = 0, [DecisionVerdict.Deny] = 0, [DecisionVerdict.RequireHuman] = 0 };

        public int Dispositions { get; set; }

        public int Overrides { get; set; }
    }
}
