using Pdp.Evaluation.Results;
using Pdp.Policies.Model;

namespace Pdp.Evaluation;

/// <summary>
/// Combines per-policy outcomes: any deny wins (a failed policy counts as deny); else any
/// require-human; else any allow; else the configured default. Within a verdict the first policy in
/// id order decides, names the control owner and, for require-human, the approver group. Reviews take
/// the shortest requested window and the largest requested number of approvals, so combining never
/// weakens what any one policy asked for.
/// </summary>
public static class DecisionCombiner
{
    public const string DefaultPolicyId = "default";

    public static Decision Combine(IReadOnlyList<PolicyOutcome> outcomes, PolicySet set, EvaluationOptions options, string actionType)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        // Plain loops rather than LINQ: this runs once per decision and its allocations showed in the evaluation benchmark.
        Verdict verdict = default;
        var count = 0;
        foreach (var outcome in outcomes)
        {
            if (outcome.Verdict is { } v && v >= verdict)
            {
                count = v == verdict ? count + 1 : 1;
                verdict = v;
            }
        }

        if (verdict == default)
        {
            return Default(outcomes, set, options, actionType);
        }

        var deciding = new PolicyOutcome[count];
        var reasons = new DecisionReason[count];
        var at = 0;
        foreach (var outcome in outcomes)
        {
            if (outcome.Verdict == verdict)
            {
                deciding[at] = outcome;
                reasons[at++] = new DecisionReason(outcome.PolicyId, outcome.Reason);
            }
        }

        var first = deciding[0];
        var owner = set.Find(first.PolicyId)?.Metadata.Owner ?? options.DefaultOwner;
        if (verdict == Verdict.Deny)
        {
            return new Decision(verdict, reasons, owner, first.PolicyId, string.Empty, TimeSpan.Zero, 0, PolicyOutcome.NoObligations, set.Revision, outcomes);
        }

        // Obligations of every policy that let the action through (allow, or allow once approved).
        var obligations = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var outcome in outcomes)
        {
            if (outcome.Verdict is Verdict.Allow or Verdict.RequireHuman)
            {
                foreach (var (key, value) in outcome.Obligations)
                {
                    obligations.TryAdd(key, value);
                }
            }
        }

        if (verdict == Verdict.Allow)
        {
            return new Decision(verdict, reasons, owner, first.PolicyId, string.Empty, TimeSpan.Zero, 0, obligations, set.Revision, outcomes);
        }

        var group = first.ApproverGroup ?? NonEmpty(set.Find(first.PolicyId)?.Metadata.ApproverGroup) ?? NonEmpty(options.DefaultApproverGroup);
        if (group is null)
        {
            // A review that nobody is named to perform would be an approval by default: refuse instead.
            var refusal = new DecisionReason(first.PolicyId, $"policy '{first.PolicyId}' asked for human review but names no approver group; failing closed");
            return new Decision(Verdict.Deny, [refusal], owner, first.PolicyId, string.Empty, TimeSpan.Zero, 0, PolicyOutcome.NoObligations, set.Revision, outcomes);
        }

        var ttl = TimeSpan.MaxValue;
        var approvals = 0;
        foreach (var outcome in deciding)
        {
            ttl = TimeSpan.FromTicks(Math.Min(ttl.Ticks, (outcome.ReviewTtl ?? options.DefaultReviewTtl).Ticks));
            approvals = Math.Max(approvals, outcome.MinApprovals ?? 1);
        }

        if (ttl > options.MaxReviewTtl)
        {
            ttl = options.MaxReviewTtl;
        }

        var escalation = first.EscalateTo ?? NonEmpty(set.Find(first.PolicyId)?.Metadata.EscalationGroup) ?? options.DefaultEscalationGroup;
        return new Decision(verdict, reasons, owner, first.PolicyId, group, ttl, approvals, obligations, set.Revision, outcomes) { EscalationGroup = escalation };
    }

    private static Decision Default(IReadOnlyList<PolicyOutcome> outcomes, PolicySet set, EvaluationOptions options, string actionType)
    {
        var reason = new DecisionReason(DefaultPolicyId, $"no policy decided on action type '{actionType}'; the default verdict is {options.DefaultVerdict.ToText()}");
        var review = options.DefaultVerdict == Verdict.RequireHuman;
        return new Decision(
            options.DefaultVerdict,
            [reason],
            options.DefaultOwner,
            null,
            review ? options.DefaultApproverGroup : string.Empty,
            review ? options.DefaultReviewTtl : TimeSpan.Zero,
            review ? 1 : 0,
            PolicyOutcome.NoObligations,
            set.Revision,
            outcomes)
        {
            EscalationGroup = review ? options.DefaultEscalationGroup : string.Empty,
        };
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
