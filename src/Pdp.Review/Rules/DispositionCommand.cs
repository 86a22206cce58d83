using System.Text.Json.Nodes;

namespace Pdp.Review.Rules;

/// <summary>
/// Who is recording a disposition, as the transport proved it: the workload's SPIFFE ID when it came over
/// mTLS (null otherwise), and whether the caller was authenticated at all.
/// </summary>
public sealed record RecordingCaller(string? SpiffeId, bool Authenticated)
{
    public static readonly RecordingCaller Anonymous = new(null, false);
}

/// <summary>A human's disposition as asked for, before the rules have looked at it.</summary>
public sealed record DispositionCommand(string DecisionId, string Reviewer, Model.ReviewOutcome? Outcome, string Justification, JsonObject? Parameters, RecordingCaller Caller);

/// <summary>What the rules allow a disposition to do: the state it leads to and the digest it approves.</summary>
public sealed record DispositionTransition(Model.ReviewState State, bool Settles, string ApprovedDigest, string DispositionDigest);
