using Pdp.Evaluation.Results;
using Pdp.Policies.Sandbox;

namespace Pdp.Evaluation;

/// <summary>How decisions are combined when policies are silent, and how reviews are bounded.</summary>
public sealed class EvaluationOptions
{
    /// <summary>The verdict when no policy applies. Default deny: nothing is allowed by omission.</summary>
    public Verdict DefaultVerdict { get; set; } = Verdict.Deny;

    /// <summary>The control owner named when no policy applies. Default <c>pdp-operators</c>.</summary>
    public string DefaultOwner { get; set; } = "pdp-operators";

    /// <summary>Approver group for require-human verdicts that name none. Default empty: such verdicts fail closed.</summary>
    public string DefaultApproverGroup { get; set; } = string.Empty;

    /// <summary>Escalation group for require-human verdicts whose policy names none. Default empty: they do not escalate.</summary>
    public string DefaultEscalationGroup { get; set; } = string.Empty;

    /// <summary>How long a review stays open when the policy does not say. Default 1 hour.</summary>
    public TimeSpan DefaultReviewTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Longest review a policy may ask for. Default 24 hours.</summary>
    public TimeSpan MaxReviewTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Engines kept warm for reuse. Default twice the processor count.</summary>
    public int MaxPooledEngines { get; set; } = Environment.ProcessorCount * 2;

    /// <summary>
    /// Outcomes of policies that declare <c>cacheable: true</c> remembered per policy revision (0 turns the cache off).
    /// Default 10,000 entries. Such policies see the input without <c>decision_id</c> and <c>time</c>, and no clock,
    /// whether the cache is on or not (see the runtime's outcome cache for the rule).
    /// </summary>
    public int OutcomeCacheEntries { get; set; } = 10_000;

    public SandboxOptions Sandbox { get; set; } = new();

    public IEnumerable<string> Validate()
    {
        if (!Enum.IsDefined(DefaultVerdict))
        {
            yield return "DefaultVerdict must be deny, require_human or allow.";
        }

        if (string.IsNullOrWhiteSpace(DefaultOwner))
        {
            yield return "DefaultOwner must name the control owner of decisions no policy covers.";
        }

        if (DefaultVerdict == Verdict.RequireHuman && string.IsNullOrWhiteSpace(DefaultApproverGroup))
        {
            yield return "DefaultApproverGroup is required when DefaultVerdict is require_human.";
        }

        if (DefaultReviewTtl <= TimeSpan.Zero || MaxReviewTtl <= TimeSpan.Zero || DefaultReviewTtl > MaxReviewTtl)
        {
            yield return "DefaultReviewTtl and MaxReviewTtl must be positive, and DefaultReviewTtl at most MaxReviewTtl.";
        }

        if (MaxPooledEngines is < 1 or > 1024)
        {
            yield return "MaxPooledEngines must be between 1 and 1024.";
        }

        if (OutcomeCacheEntries is < 0 or > 1_000_000)
        {
            yield return "OutcomeCacheEntries must be between 0 (no cache) and 1000000.";
        }

        foreach (var problem in Sandbox.Validate())
        {
            yield return problem;
        }
    }
}
