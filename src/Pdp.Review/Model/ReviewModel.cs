namespace Pdp.Review.Model;

/// <summary>What a human did with a proposed action. <see cref="Expired"/> is written only by the server.</summary>
public enum ReviewOutcome
{
    Approved = 1,
    Rejected = 2,
    Modified = 3,
    Reversed = 4,
    Expired = 5,
}

/// <summary>Where a decision's review stands.</summary>
public enum ReviewState
{
    NotRequired = 1,
    Pending = 2,
    Approved = 3,
    Rejected = 4,
    Modified = 5,
    Reversed = 6,
    Expired = 7,
}

/// <summary>One recorded disposition, as stored in the trail and in memory.</summary>
public sealed record DispositionEntry(
    string Reviewer,
    ReviewOutcome Outcome,
    string Justification,
    DateTimeOffset RecordedAt,
    string ActionDigest,
    System.Text.Json.Nodes.JsonObject? Parameters,
    long AuditSeq)
{
    /// <summary>The human did not accept the AI's action as proposed.</summary>
    public bool IsOverride => IsOverrideOutcome(Outcome);

    public static bool IsOverrideOutcome(ReviewOutcome outcome) => outcome is ReviewOutcome.Rejected or ReviewOutcome.Modified or ReviewOutcome.Reversed;
}

public static class ReviewText
{
    public static string ToText(this ReviewOutcome outcome) => outcome switch
    {
        ReviewOutcome.Approved => "approved",
        ReviewOutcome.Rejected => "rejected",
        ReviewOutcome.Modified => "modified",
        ReviewOutcome.Reversed => "reversed",
        _ => "expired",
    };

    public static ReviewOutcome? ParseOutcome(string? text) => text switch
    {
        "approved" => ReviewOutcome.Approved,
        "rejected" => ReviewOutcome.Rejected,
        "modified" => ReviewOutcome.Modified,
        "reversed" => ReviewOutcome.Reversed,
        "expired" => ReviewOutcome.Expired,
        _ => null,
    };

    public static bool IsTerminal(this ReviewState state) => state is not (ReviewState.Pending or ReviewState.NotRequired);
}
