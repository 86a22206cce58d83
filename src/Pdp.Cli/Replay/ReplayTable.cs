using System.Globalization;
using Pdp.Evaluation.Results;

namespace Pdp.Cli.Replay;

/// <summary>The report as readable text: header, totals, transition matrix, per-policy changes, override impact, changed decisions.</summary>
internal static class ReplayTable
{
    private const string Indent = "  ";

    public static void Write(ReplayReport report, ReplaySource source, int limit, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(writer);
        var overall = report.Overall;
        writer.WriteLine($"replay of {source.TrailPath} ({source.Records} records in {source.Files} files) against {source.PolicyDirectory} (revision {report.CandidateRevision})");
        if (report.RecordedRevisions.Count > 0)
        {
            writer.WriteLine("recorded under " + string.Join(", ", report.RecordedRevisions.Select(r => $"{(r.Revision.Length > 0 ? r.Revision : "(no revision)")} ({Decisions(r.Decisions)})")));
        }

        writer.WriteLine();
        writer.WriteLine($"decisions: {overall.Total} replayed, {overall.Unchanged} unchanged, {overall.Changed} changed");
        writer.WriteLine();
        writer.WriteLine("transitions (rows: recorded verdict; columns: candidate verdict):");
        var matrix = new TextTable(["recorded \\ candidate", .. TransitionMatrix.Verdicts.Select(v => v.ToText())]);
        foreach (var recorded in TransitionMatrix.Verdicts)
        {
            matrix.Add([recorded.ToText(), .. TransitionMatrix.Verdicts.Select(c => (object)overall[recorded, c])]);
        }

        matrix.Write(writer, Indent);
        writer.WriteLine();
        writer.WriteLine($"by policy ({ReplayDefinitions.ByPolicy}):");
        var policies = new TextTable("policy", "replayed", "changed", "changes");
        foreach (var (policy, byPolicy) in report.ByPolicy)
        {
            policies.Add(policy, byPolicy.Total, byPolicy.Changed, byPolicy.Changed == 0 ? "-" : string.Join(", ", byPolicy.Changes().Select(c => $"{c.Recorded.ToText()} -> {c.Candidate.ToText()} {c.Count}")));
        }

        policies.Write(writer, Indent);
        writer.WriteLine();
        writer.WriteLine("human outcomes: " + string.Join(", ", HumanOutcomeText.All.Select(o => $"{o.ToText()} {report.CountOf(o)}")));
        writer.WriteLine();
        new TextTable("override impact", "count", "definition")
            .Add("overridden", report.Overridden, ReplayDefinitions.Overridden)
            .Add("overrides prevented", report.OverridesPrevented, ReplayDefinitions.Prevented)
            .Add("overrides caused", report.OverridesCaused, $"approved now denied {report.ApprovedNowDenied} + rejected now allowed {report.RejectedNowAllowed}: {ReplayDefinitions.Caused}")
            .Add("reviews added", report.ReviewsAdded, ReplayDefinitions.ReviewsAdded)
            .Add("reviews removed", report.ReviewsRemoved, ReplayDefinitions.ReviewsRemoved)
            .Write(writer, Indent);
        if (report.CandidateErrors > 0)
        {
            writer.WriteLine($"note: a candidate policy failed (threw, timed out, hit a limit or returned an invalid result) on {Decisions(report.CandidateErrors)}; each counts as deny");
        }

        if (report.UnmatchedHumanRecords > 0)
        {
            writer.WriteLine($"note: {report.UnmatchedHumanRecords} disposition or expiry records name a decision not in the files read");
        }

        var changed = report.ChangedDecisions.ToArray();
        writer.WriteLine();
        if (changed.Length == 0)
        {
            writer.WriteLine("changed decisions: none");
            return;
        }

        var shown = changed.Take(limit).ToArray();
        writer.WriteLine(shown.Length == changed.Length
            ? $"changed decisions ({changed.Length}):"
            : $"changed decisions ({changed.Length}, first {shown.Length}; --limit N shows more, --json lists all):");
        if (shown.Length == 0)
        {
            return;
        }

        var list = new TextTable("decision", "action", "recorded -> candidate", "human", "candidate policy", "effects", "reason");
        foreach (var decision in shown)
        {
            var effects = string.Join(",", decision.Effects());
            list.Add(
                decision.DecisionId,
                decision.ActionType,
                $"{decision.Recorded.ToText()} -> {decision.Candidate.ToText()}",
                decision.Human.ToText(),
                decision.CandidatePolicy,
                effects.Length == 0 ? "-" : effects,
                decision.CandidateReason);
        }

        list.Write(writer, Indent);
    }

    private static string Decisions(int count) =>
        count.ToString(CultureInfo.InvariantCulture) + (count == 1 ? " decision" : " decisions");
}
