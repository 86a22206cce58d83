namespace Pdp.Evidence.Collection;

/// <summary>
/// What a report covers: the period [<see cref="From"/>, <see cref="To"/>) and, optionally, one control owner, one
/// framework reference and one deciding policy. A decision is in scope when it was made in the period and matches every
/// filter given; a review event (disposition, expiry, refusal, escalation) when it happened in the period and its
/// decision matches the filters, whenever that decision was made.
/// </summary>
public sealed record EvidenceFilter(DateTimeOffset From, DateTimeOffset To, string? Owner = null, string? Framework = null, string? Policy = null)
{
    /// <summary>Whether <paramref name="time"/> falls in the period (from inclusive, to exclusive).</summary>
    public bool InPeriod(DateTimeOffset time) => time >= From && time < To;

    /// <summary>Whether a decision of <paramref name="owner"/> by <paramref name="policy"/> under <paramref name="frameworks"/> matches the filters.</summary>
    public bool Matches(string owner, string policy, IReadOnlyCollection<string> frameworks)
    {
        ArgumentNullException.ThrowIfNull(frameworks);
        return (Owner is null || string.Equals(owner, Owner, StringComparison.Ordinal))
            && (Policy is null || string.Equals(policy, Policy, StringComparison.Ordinal))
            && (Framework is null || frameworks.Contains(Framework, StringComparer.Ordinal));
    }
}
