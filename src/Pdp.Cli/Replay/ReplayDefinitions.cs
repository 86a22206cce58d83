namespace Pdp.Cli.Replay;

/// <summary>
/// How each replay figure is defined, in the words the help text, the table and the JSON use (the README's
/// "Authoring policies" section says the same). The counting itself is on <see cref="ReplayedDecision"/>.
/// </summary>
internal static class ReplayDefinitions
{
    public const string ByPolicy = "by the candidate's deciding policy; where the candidate falls to the default verdict, by the recorded deciding_policy";

    public const string Overridden = "a human rejected or modified a require_human decision, or reversed an allow";

    public const string Prevented = "overridden decisions the candidate is stricter on (allow -> require_human or deny; require_human -> deny)";

    public const string Caused = "human-approved decisions the candidate would deny, plus human-rejected ones it would allow outright (with no human)";

    public const string ReviewsAdded = "recorded allow or deny -> candidate require_human";

    public const string ReviewsRemoved = "recorded require_human -> candidate allow or deny";

    public const string HumanOutcome = "the state of the decision's last disposition (approved, rejected, modified, reversed), expired after an expiry record, else none";
}
