namespace Pdp.Cli.Tests.Evidence;

/// <summary>
/// One thing the scenario did and saw succeed (or refused), as the test logs it: what the report must count. The
/// phase says on which side of the scenario's cut time it happened, for the period filters.
/// </summary>
/// <param name="Kind">allow, deny, require_human (a decision); approved, rejected, modified, reversed, expired, refused.</param>
/// <param name="Seconds">For a disposition that settled a review: decision to disposition, from the server's answers.</param>
internal sealed record Happened(
    string Kind,
    string DecisionId,
    EvidenceDomain Domain,
    int Phase,
    string ActionType,
    string Reviewer = "",
    bool Stamp = false,
    string Rule = "",
    bool Settles = false,
    double? Seconds = null,
    int MinApprovals = 1)
{
    public bool IsDecision => Kind is "allow" or "deny" or "require_human";

    public bool IsDisposition => Kind is "approved" or "rejected" or "modified" or "reversed";

    public bool IsOverride => Kind is "rejected" or "modified" or "reversed";
}
