namespace Pdp.Cli.Replay;

/// <summary>
/// Where a recorded decision's human review finally stood in the trail: the <c>state</c> of its last
/// <c>disposition</c> record, or <see cref="Expired"/> after an <c>expiry</c> record. <see cref="None"/> when no
/// disposition settled it (an allow or deny nobody reversed, a review still pending or partly approved).
/// </summary>
internal enum HumanOutcome
{
    None,
    Approved,
    Rejected,
    Modified,
    Reversed,
    Expired,
}

internal static class HumanOutcomeText
{
    /// <summary>Every outcome, in the order reports list them.</summary>
    public static readonly IReadOnlyList<HumanOutcome> All =
        [HumanOutcome.Approved, HumanOutcome.Rejected, HumanOutcome.Modified, HumanOutcome.Reversed, HumanOutcome.Expired, HumanOutcome.None];

    public static string ToText(this HumanOutcome outcome) => outcome switch
    {
        HumanOutcome.Approved => "approved",
        HumanOutcome.Rejected => "rejected",
        HumanOutcome.Modified => "modified",
        HumanOutcome.Reversed => "reversed",
        HumanOutcome.Expired => "expired",
        _ => "none",
    };

    /// <summary>
    /// The final outcome a disposition record's <c>state</c> names; <see cref="HumanOutcome.None"/> for
    /// <c>pending</c> (an approval short of <c>min_approvals</c>); null for a state the server never writes.
    /// </summary>
    public static HumanOutcome? FromState(string? state) => state switch
    {
        "pending" => HumanOutcome.None,
        "approved" => HumanOutcome.Approved,
        "rejected" => HumanOutcome.Rejected,
        "modified" => HumanOutcome.Modified,
        "reversed" => HumanOutcome.Reversed,
        "expired" => HumanOutcome.Expired,
        _ => null,
    };

    /// <summary>The human did not accept the AI's action as proposed (the server's <c>override</c>).</summary>
    public static bool IsOverride(this HumanOutcome outcome) =>
        outcome is HumanOutcome.Rejected or HumanOutcome.Modified or HumanOutcome.Reversed;
}
