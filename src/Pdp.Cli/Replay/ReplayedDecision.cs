using Pdp.Evaluation.Results;

namespace Pdp.Cli.Replay;

/// <summary>
/// One <c>decision</c> record of the trail and what the candidate policy set answers for the same input.
/// The properties below it are the figures of the report, each defined for one decision; the report counts them.
/// </summary>
/// <param name="Seq">The record's seq in the trail.</param>
/// <param name="DecisionId">The recorded <c>decision_id</c>.</param>
/// <param name="DecidedAt">The recorded <c>decided_at</c>, as written.</param>
/// <param name="ActionType">The input's <c>action.type</c>.</param>
/// <param name="Recorded">The verdict production answered.</param>
/// <param name="RecordedPolicy">The recorded <c>deciding_policy</c> (<c>default</c> when no policy decided).</param>
/// <param name="RecordedRevision">The recorded response's <c>policy_revision</c>.</param>
/// <param name="Candidate">The verdict the candidate set answers.</param>
/// <param name="CandidatePolicy">The candidate's deciding policy id, or <c>default</c> when it falls to the default verdict.</param>
/// <param name="CandidateReason">The candidate's first reason (the deciding policy's).</param>
/// <param name="CandidateError">True when a candidate policy threw, timed out, hit a limit or returned garbage (each counts as deny).</param>
/// <param name="Human">What the human review finally came to.</param>
internal sealed record ReplayedDecision(
    long Seq,
    string DecisionId,
    string DecidedAt,
    string ActionType,
    Verdict Recorded,
    string RecordedPolicy,
    string RecordedRevision,
    Verdict Candidate,
    string CandidatePolicy,
    string CandidateReason,
    bool CandidateError,
    HumanOutcome Human)
{
    /// <summary>The policy a decision is reported under: the candidate's deciding policy, or the recorded one where the candidate falls to the default.</summary>
    public string ReportedPolicy => CandidatePolicy == Evaluation.DecisionCombiner.DefaultPolicyId ? RecordedPolicy : CandidatePolicy;

    public bool Changed => Recorded != Candidate;

    /// <summary>A human rejected or modified a require-human decision, or reversed an allow.</summary>
    public bool Overridden => Human.IsOverride();

    /// <summary>Overridden, and the candidate is stricter (allow → require_human or deny; require_human → deny).</summary>
    public bool OverridePrevented => Overridden && Candidate > Recorded;

    /// <summary>A human approved it, and the candidate would deny it.</summary>
    public bool ApprovedNowDenied => Human == HumanOutcome.Approved && Candidate == Verdict.Deny;

    /// <summary>A human rejected it, and the candidate would allow it outright, with no human.</summary>
    public bool RejectedNowAllowed => Human == HumanOutcome.Rejected && Candidate == Verdict.Allow;

    /// <summary>The candidate disagrees with what a human accepted or decided.</summary>
    public bool OverrideCaused => ApprovedNowDenied || RejectedNowAllowed;

    /// <summary>Recorded allow or deny; the candidate asks a human.</summary>
    public bool ReviewAdded => Recorded != Verdict.RequireHuman && Candidate == Verdict.RequireHuman;

    /// <summary>Recorded require_human; the candidate answers allow or deny itself.</summary>
    public bool ReviewRemoved => Recorded == Verdict.RequireHuman && Candidate != Verdict.RequireHuman;

    /// <summary>The figures this decision counts towards, for the list of changed decisions.</summary>
    public IEnumerable<string> Effects()
    {
        if (OverridePrevented)
        {
            yield return "override_prevented";
        }

        if (OverrideCaused)
        {
            yield return "override_caused";
        }

        if (ReviewAdded)
        {
            yield return "review_added";
        }

        if (ReviewRemoved)
        {
            yield return "review_removed";
        }
    }
}
