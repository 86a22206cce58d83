using System.Text.Json.Nodes;
using Pdp.Review.Model;

namespace Pdp.Evidence.Collection;

/// <summary>
/// The counts of one group of a report (everything, one control owner, one framework reference), added to decision by
/// decision and event by event, and written as that group's JSON object.
/// </summary>
internal sealed class Tally
{
    private const int TopCount = 5;

    private readonly Dictionary<DecisionVerdict, int> _verdicts = new() { [DecisionVerdict.Allow] = 0, [DecisionVerdict.Deny] = 0, [DecisionVerdict.RequireHuman] = 0 };
    private readonly Dictionary<ReviewKind, int> _reviews = Enum.GetValues<ReviewKind>().ToDictionary(k => k, _ => 0);
    private readonly SortedDictionary<string, int> _refused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Stamps, int Approvals)> _reviewers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _overridePolicies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _overrideActions = new(StringComparer.Ordinal);
    private readonly List<double> _dispositionSeconds = [];
    private int _fourEyes;
    private int _fourEyesCompleted;

    /// <summary>Seconds from decision to the disposition that settled its review, for every settled review counted.</summary>
    public IReadOnlyList<double> DispositionSeconds => _dispositionSeconds;

    public void AddDecision(DecisionNote decision, bool fourEyesCompleted)
    {
        _verdicts[decision.Verdict]++;
        if (decision.Verdict == DecisionVerdict.RequireHuman && decision.MinApprovals > 1)
        {
            _fourEyes++;
            _fourEyesCompleted += fourEyesCompleted ? 1 : 0;
        }
    }

    public void AddReview(ReviewNote review, DecisionNote decision)
    {
        _reviews[review.Kind]++;
        if (review.Kind == ReviewKind.Refused)
        {
            _refused[review.Rule] = _refused.GetValueOrDefault(review.Rule) + 1;
            return;
        }

        if (review.Kind == ReviewKind.Approved)
        {
            var (stamps, approvals) = _reviewers.GetValueOrDefault(review.Reviewer);
            _reviewers[review.Reviewer] = (stamps + (review.RubberStamp ? 1 : 0), approvals + 1);
        }

        if (review.IsOverride)
        {
            _overridePolicies[decision.Policy] = _overridePolicies.GetValueOrDefault(decision.Policy) + 1;
            _overrideActions[decision.ActionType] = _overrideActions.GetValueOrDefault(decision.ActionType) + 1;
        }

        if (review.IsDisposition && review.Settles && decision.Verdict == DecisionVerdict.RequireHuman)
        {
            _dispositionSeconds.Add(Math.Max(0, (review.At - decision.DecidedAt).TotalSeconds));
        }
    }

    /// <summary>Human dispositions (approved, rejected, modified, reversed): the override ratio's denominator.</summary>
    public int Dispositions => _reviews[ReviewKind.Approved] + _reviews[ReviewKind.Rejected] + _reviews[ReviewKind.Modified] + _reviews[ReviewKind.Reversed];

    public int Overrides => _reviews[ReviewKind.Rejected] + _reviews[ReviewKind.Modified] + _reviews[ReviewKind.Reversed];

    /// <summary>This group's figures; <paramref name="key"/> and <paramref name="name"/> first when given (<c>"owner": "…"</c>).</summary>
    public JsonObject ToJson(string? key = null, string? name = null)
    {
        var json = new JsonObject();
        if (key is not null)
        {
            json[key] = name;
        }

        json["decisions"] = new JsonObject
        {
            ["allow"] = _verdicts[DecisionVerdict.Allow],
            ["deny"] = _verdicts[DecisionVerdict.Deny],
            ["require_human"] = _verdicts[DecisionVerdict.RequireHuman],
        };
        json["reviews"] = new JsonObject
        {
            ["opened"] = _verdicts[DecisionVerdict.RequireHuman],
            ["approved"] = _reviews[ReviewKind.Approved],
            ["rejected"] = _reviews[ReviewKind.Rejected],
            ["modified"] = _reviews[ReviewKind.Modified],
            ["reversed"] = _reviews[ReviewKind.Reversed],
            ["expired"] = _reviews[ReviewKind.Expired],
            ["escalated"] = _reviews[ReviewKind.Escalated],
        };
        json["dispositions"] = Dispositions;
        json["overrides"] = Overrides;
        json["override_ratio"] = Ratio(Overrides, Dispositions);
        json["time_to_disposition_seconds"] = new JsonObject
        {
            ["count"] = _dispositionSeconds.Count,
            ["median"] = Percentile(_dispositionSeconds, 0.5),
            ["p90"] = Percentile(_dispositionSeconds, 0.9),
        };
        json["rubber_stamps"] = _reviewers.Values.Sum(r => r.Stamps);
        json["rubber_stamp_reviewers"] = new JsonArray([.. _reviewers
            .Where(r => r.Value.Stamps > 0)
            .OrderByDescending(r => (double)r.Value.Stamps / r.Value.Approvals).ThenByDescending(r => r.Value.Stamps).ThenBy(r => r.Key, StringComparer.Ordinal)
            .Take(TopCount)
            .Select(r => (JsonNode)new JsonObject { ["reviewer"] = r.Key, ["rubber_stamps"] = r.Value.Stamps, ["approvals"] = r.Value.Approvals, ["share"] = Ratio(r.Value.Stamps, r.Value.Approvals) })]);
        json["four_eyes"] = new JsonObject { ["decisions"] = _fourEyes, ["completed"] = _fourEyesCompleted, ["completion"] = Ratio(_fourEyesCompleted, _fourEyes) };
        var refused = new JsonObject();
        foreach (var (rule, count) in _refused)
        {
            refused[rule] = count;
        }

        json["refused"] = refused;
        json["top_override_policies"] = Top(_overridePolicies, "policy");
        json["top_override_actions"] = Top(_overrideActions, "action_type");
        return json;
    }

    /// <summary><paramref name="part"/> / <paramref name="whole"/> to four decimals, or null when there is no whole (no ratio, not a zero one).</summary>
    public static double? Ratio(int part, int whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    /// <summary>Nearest-rank percentile (the smallest value with at least <paramref name="p"/> of the values at or below it), to 0.1 s; null for none.</summary>
    public static double? Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)], 1);
    }

    private static JsonArray Top(Dictionary<string, int> counts, string key) =>
        new([.. counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(TopCount)
            .Select(c => (JsonNode)new JsonObject { [key] = c.Key, ["overrides"] = c.Value })]);
}
