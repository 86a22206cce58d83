namespace Pdp.Review.Model;

/// <summary>One consulted policy's own outcome as a decision event records it.</summary>
/// <param name="PolicyId">The policy.</param>
/// <param name="Verdict"><c>allow</c>, <c>deny</c>, <c>require_human</c> or <c>not_applicable</c>.</param>
/// <param name="Error">Why the policy failed, lowercase (<c>timeout</c>, <c>exception</c>, …), or null when it did not.</param>
public sealed record PolicyVerdictEntry(string PolicyId, string Verdict, string? Error);
