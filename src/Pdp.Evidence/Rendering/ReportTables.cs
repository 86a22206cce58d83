using System.Globalization;
using System.Text.Json.Nodes;

namespace Pdp.Evidence.Rendering;

/// <summary>One cell: its text and, for a figure, the JSON pointer (RFC 6901) of the value it shows.</summary>
internal sealed record Cell(string Text, string? Pointer = null);

/// <summary>A table of a report: a title, a note saying what it counts, its header and rows.</summary>
internal sealed record ReportTable(string Title, string Note, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<Cell>> Rows);

/// <summary>
/// The tables every human-readable form shows, read from the JSON document alone — so each number in the Markdown and
/// HTML forms is a value of the JSON, named by its pointer, and no renderer computes a figure of its own.
/// </summary>
internal static class ReportTables
{
    private static readonly string[] Verdicts = ["allow", "deny", "require_human"];
    private static readonly string[] Reviews = ["opened", "approved", "rejected", "modified", "reversed", "expired", "escalated"];

    public static IReadOnlyList<ReportTable> Of(JsonObject report)
    {
        var groups = Groups(report, "owners", "owner");
        var frameworks = Groups(report, "frameworks", "framework");
        return
        [
            Counts(report, "Decisions and reviews per control owner", groups),
            Quality(report, "Review quality per control owner", groups),
            Counts(report, "Decisions and reviews per framework reference", frameworks),
            Quality(report, "Review quality per framework reference", frameworks),
            Refused(report, groups),
            Listing(report, "/totals/rubber_stamp_reviewers", "Reviewers with the highest share of rubber stamps", "Approvals recorded faster than the floor (Pdp:Review:MinSeconds), as a share of each reviewer's approvals.", [("Reviewer", "reviewer"), ("Rubber stamps", "rubber_stamps"), ("Approvals", "approvals"), ("Share", "share")]),
            Listing(report, "/totals/top_override_policies", "Policies with the most overrides", "Rejected, modified and reversed dispositions, by deciding policy.", [("Policy", "policy"), ("Overrides", "overrides")]),
            Listing(report, "/totals/top_override_actions", "Action types with the most overrides", "Rejected, modified and reversed dispositions, by the action's type.", [("Action type", "action_type"), ("Overrides", "overrides")]),
            Listing(report, "/policy_revisions", "Policy revisions in force", "The revision in force when the period began and every one loaded during it; decisions in scope made under each.", [("Revision", "revision"), ("Loaded at", "loaded_at"), ("Origin", "origin"), ("Decisions", "decisions")]),
        ];
    }

    /// <summary>The report's title: who it is for and the period.</summary>
    public static string Title(JsonObject report) =>
        $"Evidence report — {Resolve(report, "/filters/owner")?.GetValue<string>() ?? "all control owners"}, {Period(Resolve(report, "/from"), Resolve(report, "/to"))}";

    /// <summary>The period for the title: whole days as "D1 to D2 inclusive", else both instants to the second (the tables give them exactly).</summary>
    private static string Period(JsonNode? from, JsonNode? to)
    {
        if (!Instant(from, out var start) || !Instant(to, out var end))
        {
            return "?";
        }

        return start.TimeOfDay == TimeSpan.Zero && end.TimeOfDay == TimeSpan.Zero
            ? $"{start:yyyy-MM-dd} to {end.AddDays(-1):yyyy-MM-dd} inclusive"
            : $"{start:yyyy-MM-dd HH:mm:ss} to {end:yyyy-MM-dd HH:mm:ss} UTC";
    }

    private static bool Instant(JsonNode? time, out DateTimeOffset instant)
    {
        instant = default;
        return time is JsonValue v && v.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out instant);
    }

    /// <summary>What verification found, first in every form: result, source, record range, chain head.</summary>
    public static IReadOnlyList<(string Label, Cell Value)> Verification(JsonObject report) =>
    [
        ("Chain", new Cell(report["verified"]?.GetValue<bool>() == true ? "VERIFIED" : "NOT VERIFIED — figures count only the records before the first bad one", "/verified")),
        ("Problem", Figure(report, "/verification/problem")),
        ("Source", Figure(report, "/verification/source")),
        ("Records verified", Figure(report, "/verification/records")),
        ("First record verified (seq)", Figure(report, "/verification/first_seq")),
        ("Last record verified (seq)", Figure(report, "/verification/last_seq")),
        ("Anchored by checkpoint (seq)", Figure(report, "/verification/anchored_by_checkpoint")),
        ("Chain head hash", Figure(report, "/chain_head")),
    ];

    /// <summary>The sign-off block's facts (the signature lines are the renderer's).</summary>
    public static IReadOnlyList<(string Label, Cell Value)> SignOff(JsonObject report) =>
    [
        ("Control owner", report["filters"]?["owner"] is null ? new Cell("all control owners") : Figure(report, "/filters/owner")),
        ("Framework", report["filters"]?["framework"] is null ? new Cell("all") : Figure(report, "/filters/framework")),
        ("Policy", report["filters"]?["policy"] is null ? new Cell("all") : Figure(report, "/filters/policy")),
        ("Period from (inclusive)", Figure(report, "/from")),
        ("Period to (exclusive)", Figure(report, "/to")),
        ("Generated at", Figure(report, "/generated_at")),
        ("Chain head hash", Figure(report, "/chain_head")),
    ];

    /// <summary>The value at <paramref name="pointer"/> as the report prints it: a ratio as a percentage, a missing value as a dash.</summary>
    public static Cell Figure(JsonObject report, string pointer)
    {
        var node = Resolve(report, pointer);
        return new Cell(Text(node, pointer), pointer);
    }

    /// <summary>The node at a JSON pointer of the report, or null.</summary>
    public static JsonNode? Resolve(JsonNode report, string pointer)
    {
        ArgumentNullException.ThrowIfNull(pointer);
        JsonNode? node = report;
        foreach (var part in pointer.Split('/').Skip(1).Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)))
        {
            node = node switch
            {
                JsonObject o => o[part],
                JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
        }

        return node;
    }

    private static string Text(JsonNode? node, string pointer)
    {
        if (node is not JsonValue value)
        {
            return "–";
        }

        if (value.TryGetValue<double>(out var number) && IsRatio(pointer))
        {
            return (number * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %";
        }

        return value.TryGetValue<string>(out var text) ? text : value.ToJsonString();
    }

    private static bool IsRatio(string pointer) => pointer.EndsWith("ratio", StringComparison.Ordinal) || pointer.EndsWith("/share", StringComparison.Ordinal) || pointer.EndsWith("/completion", StringComparison.Ordinal);

    /// <summary>"All" (the totals) then each group of the array, as (label, pointer of its object).</summary>
    private static List<(string Label, string Pointer)> Groups(JsonObject report, string array, string key)
    {
        var groups = new List<(string, string)> { ("All in scope", "/totals") };
        var items = report[array] as JsonArray ?? [];
        for (var i = 0; i < items.Count; i++)
        {
            var name = items[i]?[key]?.GetValue<string>() ?? string.Empty;
            groups.Add((name.Length == 0 ? "(none)" : name, $"/{array}/{i}"));
        }

        return groups;
    }

    private static ReportTable Counts(JsonObject report, string title, List<(string Label, string Pointer)> groups) => new(
        title,
        "Decisions made in the period by verdict; reviews opened (require-human decisions) and dispositions recorded in the period by outcome.",
        ["", "Allow", "Deny", "Require human", "Opened", "Approved", "Rejected", "Modified", "Reversed", "Expired", "Escalated"],
        [.. groups.Select(g => (IReadOnlyList<Cell>)[new Cell(g.Label), .. Verdicts.Select(v => Figure(report, $"{g.Pointer}/decisions/{v}")), .. Reviews.Select(r => Figure(report, $"{g.Pointer}/reviews/{r}"))])]);

    private static ReportTable Quality(JsonObject report, string title, List<(string Label, string Pointer)> groups) => new(
        title,
        "Override ratio: rejected, modified and reversed over all human dispositions. Time to disposition: from the decision to the disposition that settled its review (nearest-rank median and p90, seconds). Four eyes: decisions needing two or more approvals, and those approved.",
        ["", "Override ratio", "Median (s)", "p90 (s)", "Rubber stamps", "Four-eyes decisions", "Four-eyes completed"],
        [.. groups.Select(g => (IReadOnlyList<Cell>)
        [
            new Cell(g.Label), Figure(report, $"{g.Pointer}/override_ratio"), Figure(report, $"{g.Pointer}/time_to_disposition_seconds/median"), Figure(report, $"{g.Pointer}/time_to_disposition_seconds/p90"),
            Figure(report, $"{g.Pointer}/rubber_stamps"), Figure(report, $"{g.Pointer}/four_eyes/decisions"), Figure(report, $"{g.Pointer}/four_eyes/completed"),
        ])]);

    private static ReportTable Refused(JsonObject report, List<(string Label, string Pointer)> groups)
    {
        var rules = groups.SelectMany(g => Resolve(report, g.Pointer + "/refused") as JsonObject ?? []).Select(p => p.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new ReportTable(
            "Refused dispositions by rule",
            "Disposition attempts the review rules refused in the period, by the rule that refused them.",
            ["Rule", .. groups.Select(g => g.Label)],
            [.. rules.Select(rule => (IReadOnlyList<Cell>)[new Cell(rule), .. groups.Select(g => Resolve(report, $"{g.Pointer}/refused/{rule}") is null ? new Cell("0") : Figure(report, $"{g.Pointer}/refused/{rule}"))])]);
    }

    private static ReportTable Listing(JsonObject report, string array, string title, string note, (string Header, string Key)[] columns)
    {
        var items = Resolve(report, array) as JsonArray ?? [];
        return new ReportTable(title, note, [.. columns.Select(c => c.Header)], [.. Enumerable.Range(0, items.Count).Select(i => (IReadOnlyList<Cell>)[.. columns.Select(c => Figure(report, $"{array}/{i}/{c.Key}"))])]);
    }
}
