using System.Text.Json.Nodes;

namespace Pdp.Server.Reviews;

/// <summary>A human's disposition as asked for, before the rules have looked at it.</summary>
public sealed record DispositionCommand(string DecisionId, string Reviewer, ReviewOutcome? Outcome, string Justification, JsonObject? Parameters, Identity.CallerIdentity Caller);

/// <summary>What the rules allow a disposition to do: the state it leads to and the digest it approves.</summary>
public sealed record DispositionTransition(ReviewState State, bool Settles, string ApprovedDigest, string DispositionDigest);
