using System.Text.Json.Nodes;

namespace Pdp.Review.Rules;

/// <summary>
/// Who is recording a disposition, as the transport proved it: the workload's SPIFFE ID when it came over
/// mTLS (null otherwise), and whether the caller was authenticated at all. <paramref name="Console"/>: the server's own
/// reviewer console, which records only for the reviewer a token proved, so the recorder allow-list (which says which
/// <em>tools</em> may record) does not apply to it.
/// </summary>
public sealed record RecordingCaller(string? SpiffeId, bool Authenticated, bool Console = false)
{
    public static readonly RecordingCaller Anonymous = new(null, false);

    /// <summary>The reviewer console of this server (see <c>Pdp:Console</c>).</summary>
    public static readonly RecordingCaller ReviewerConsole = new(null, true, Console: true);
}

/// <summary>
/// How the reviewer's identity was proven: by a token of the configured identity provider (its issuer and the
/// reviewer's subject there), with the groups the token lists when a groups claim is configured (null: the groups come
/// from the policies' <c>data.groups</c>).
/// </summary>
public sealed record ReviewerProof(string Issuer, string Subject, IReadOnlyList<string>? Groups);

/// <summary>A human's disposition as asked for, before the rules have looked at it.</summary>
/// <param name="Proof">The verified identity behind <paramref name="Reviewer"/>; null when the reviewer is only what the calling tool says.</param>
/// <param name="FirstShownAt">When the reviewer's console first showed them the decision, if it was a console.</param>
public sealed record DispositionCommand(string DecisionId, string Reviewer, Model.ReviewOutcome? Outcome, string Justification, JsonObject? Parameters, RecordingCaller Caller, ReviewerProof? Proof = null, DateTimeOffset? FirstShownAt = null);

/// <summary>What the rules allow a disposition to do: the state it leads to and the digest it approves.</summary>
public sealed record DispositionTransition(Model.ReviewState State, bool Settles, string ApprovedDigest, string DispositionDigest);
