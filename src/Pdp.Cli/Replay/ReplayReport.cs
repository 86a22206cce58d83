namespace Pdp.Cli.Replay;

/// <summary>
/// The figures of one replay, all counted from <see cref="Decisions"/> with the definitions on
/// <see cref="ReplayedDecision"/>. Per-policy figures use <see cref="ReplayedDecision.ReportedPolicy"/>.
/// </summary>
internal sealed class ReplayReport
{
    public ReplayReport(IReadOnlyList<ReplayedDecision> decisions, string candidateRevision, int humanRecords, int unmatchedHumanRecords)
    {
        Decisions = decisions;
        CandidateRevision = candidateRevision;
        HumanRecords = humanRecords;
        UnmatchedHumanRecords = unmatchedHumanRecords;
        foreach (var decision in decisions)
        {
            Overall.Add(decision.Recorded, decision.Candidate);
        }

        ByPolicy = decisions
            .GroupBy(d => d.ReportedPolicy, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var matrix = new TransitionMatrix();
                foreach (var decision in g)
                {
                    matrix.Add(decision.Recorded, decision.Candidate);
                }

                return (g.Key, matrix);
            })
            .ToArray();
        RecordedRevisions = decisions
            .GroupBy(d => d.RecordedRevision, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count()))
            .OrderByDescending(r => r.Item2)
            .ThenBy(r => r.Key, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Every replayed decision, in trail order.</summary>
    public IReadOnlyList<ReplayedDecision> Decisions { get; }

    public string CandidateRevision { get; }

    /// <summary>Disposition and expiry records joined to a replayed decision.</summary>
    public int HumanRecords { get; }

    /// <summary>Disposition and expiry records whose decision is not in the files read.</summary>
    public int UnmatchedHumanRecords { get; }

    public TransitionMatrix Overall { get; } = new();

    /// <summary>Transitions per reported policy id, in id order.</summary>
    public IReadOnlyList<(string PolicyId, TransitionMatrix Matrix)> ByPolicy { get; }

    /// <summary>The policy revisions that made the recorded decisions, most decisions first.</summary>
    public IReadOnlyList<(string Revision, int Decisions)> RecordedRevisions { get; }

    public IEnumerable<ReplayedDecision> ChangedDecisions => Decisions.Where(d => d.Changed);

    public int Overridden => Decisions.Count(d => d.Overridden);

    public int OverridesPrevented => Decisions.Count(d => d.OverridePrevented);

    public int ApprovedNowDenied => Decisions.Count(d => d.ApprovedNowDenied);

    public int RejectedNowAllowed => Decisions.Count(d => d.RejectedNowAllowed);

    public int OverridesCaused => ApprovedNowDenied + RejectedNowAllowed;

    public int ReviewsAdded => Decisions.Count(d => d.ReviewAdded);

    public int ReviewsRemoved => Decisions.Count(d => d.ReviewRemoved);

    /// <summary>Decisions where some candidate policy failed (and so counted as deny).</summary>
    public int CandidateErrors => Decisions.Count(d => d.CandidateError);

    public int CountOf(HumanOutcome outcome) => Decisions.Count(d => d.Human == outcome);
}
