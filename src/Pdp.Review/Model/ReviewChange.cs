using System.Text.Json.Nodes;

namespace Pdp.Review.Model;

public enum ReviewChangeKind
{
    /// <summary>A human's disposition (approve, reject, modify, reverse).</summary>
    Disposition,

    /// <summary>The server's EXPIRED for a review nobody settled in time.</summary>
    Expiry,

    /// <summary>The one use of an approval by the request it approved.</summary>
    ApprovalUse,

    /// <summary>The server's escalation of a review still pending at the escalation point to the escalation group.</summary>
    Escalation,
}

/// <summary>
/// One change to a decision's review, decided by the rules and not yet on record. A store makes it durable
/// (which gives it its sequence number in a chain) and only then applies it with <see cref="ApplyTo"/>.
/// </summary>
public sealed record ReviewChange
{
    public const string ServerReviewer = "pdp-server";
    public const string ExpiryJustification = "no disposition before the review expired";

    private ReviewChange(ReviewChangeKind kind, DateTimeOffset at)
    {
        Kind = kind;
        At = at;
    }

    public ReviewChangeKind Kind { get; }

    public DateTimeOffset At { get; }

    public string Reviewer { get; private init; } = string.Empty;

    public ReviewOutcome Outcome { get; private init; } = ReviewOutcome.Expired;

    public string Justification { get; private init; } = string.Empty;

    /// <summary>The parameters a MODIFIED disposition carries; null otherwise.</summary>
    public JsonObject? Parameters { get; private init; }

    /// <summary>The digest of the action this change is about: disposed of, or run by an approval's use.</summary>
    public string ActionDigest { get; private init; } = string.Empty;

    public ReviewState State { get; private init; }

    public bool Settles { get; private init; }

    /// <summary>The digest an executor may run after this change (approved or modified), else empty.</summary>
    public string ApprovedDigest { get; private init; } = string.Empty;

    /// <summary>The identity provider that vouched for <see cref="Reviewer"/>, and the reviewer's subject there; empty when unverified.</summary>
    public string ReviewerIssuer { get; private init; } = string.Empty;

    public string ReviewerSubject { get; private init; } = string.Empty;

    /// <summary>When the console first showed the reviewer this decision; null when it did not come from a console.</summary>
    public DateTimeOffset? FirstShownAt { get; private init; }

    /// <summary>An approval given faster than a real review takes (from the page first shown, or from the decision).</summary>
    public bool RubberStamp { get; private init; }

    public string UseId { get; private init; } = string.Empty;

    /// <summary>The group an escalation makes the review decidable by; empty for other kinds.</summary>
    public string EscalationGroup { get; private init; } = string.Empty;

    /// <summary>The (redacted) input of the request that used the approval.</summary>
    public JsonObject? UseInput { get; private init; }

    public static ReviewChange Disposition(string reviewer, ReviewOutcome outcome, string justification, JsonObject? parameters, Rules.DispositionTransition transition, DateTimeOffset at, Rules.ReviewerProof? proof = null, DateTimeOffset? firstShownAt = null, bool rubberStamp = false)
    {
        ArgumentNullException.ThrowIfNull(transition);
        return new ReviewChange(ReviewChangeKind.Disposition, at)
        {
            ReviewerIssuer = proof?.Issuer ?? string.Empty,
            ReviewerSubject = proof?.Subject ?? string.Empty,
            FirstShownAt = firstShownAt,
            RubberStamp = rubberStamp,
            Reviewer = reviewer,
            Outcome = outcome,
            Justification = justification,
            Parameters = parameters,
            ActionDigest = transition.DispositionDigest,
            State = transition.State,
            Settles = transition.Settles,
            ApprovedDigest = transition.ApprovedDigest,
        };
    }

    public static ReviewChange Expiry(DateTimeOffset at) => new(ReviewChangeKind.Expiry, at)
    {
        Reviewer = ServerReviewer,
        Outcome = ReviewOutcome.Expired,
        Justification = ExpiryJustification,
        State = ReviewState.Expired,
        Settles = true,
    };

    /// <summary>The review, still pending, becomes decidable by <paramref name="group"/> too.</summary>
    public static ReviewChange Escalation(DateTimeOffset at, string group) => new(ReviewChangeKind.Escalation, at)
    {
        Reviewer = ServerReviewer,
        EscalationGroup = group,
        State = ReviewState.Pending,
    };

    public static ReviewChange ApprovalUsed(string useId, DateTimeOffset at, string actionDigest, string approvedDigest, JsonObject useInput) => new(ReviewChangeKind.ApprovalUse, at)
    {
        UseId = useId,
        ActionDigest = actionDigest,
        ApprovedDigest = approvedDigest,
        UseInput = useInput,
    };

    /// <summary>The disposition this change records (a disposition or an expiry), sealed at <paramref name="seq"/>.</summary>
    public DispositionEntry ToDisposition(long seq) => new(Reviewer, Outcome, Justification, At, ActionDigest, Parameters, seq);

    /// <summary>The review after this change, recorded at <paramref name="seq"/>.</summary>
    public (ReviewSnapshot Review, ApprovalUse? Use) ApplyTo(ReviewSnapshot review, ApprovalUse? use, long seq)
    {
        ArgumentNullException.ThrowIfNull(review);
        if (Kind == ReviewChangeKind.ApprovalUse)
        {
            return (review, new ApprovalUse(UseId, At, ActionDigest, seq));
        }

        if (Kind == ReviewChangeKind.Escalation)
        {
            // Not a disposition: the review stays pending, with one more group that may decide it.
            return (review with { EscalatedAt = At }, use);
        }

        var next = new ReviewSnapshot(State, [.. review.Dispositions, ToDisposition(seq)], Settles ? At : review.SettledAt, Kind == ReviewChangeKind.Expiry ? string.Empty : ApprovedDigest, review.EscalatedAt);
        return (next, use);
    }
}
