using Google.Protobuf.WellKnownTypes;
using Pdp.Contracts.V1;
using Pdp.Evaluation.Results;
using Pdp.Review.Model;
using EvaluatedVerdict = Pdp.Evaluation.Results.Verdict;

namespace Pdp.Server.Decisions;

/// <summary>Evaluated decisions into the review domain's facts, once per decision.</summary>
public static class DecisionFactsMapper
{
    public static DecisionFacts From(Decision decision, string decisionId, DateTimeOffset decidedAt, System.Text.Json.Nodes.JsonObject recordedInput, string policyId, string approverGroup, string actionDigest, string requestDigest)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var verdict = decision.Verdict switch
        {
            EvaluatedVerdict.Allow => DecisionVerdict.Allow,
            EvaluatedVerdict.RequireHuman => DecisionVerdict.RequireHuman,
            _ => DecisionVerdict.Deny,
        };
        var review = verdict == DecisionVerdict.RequireHuman;
        return new DecisionFacts(
            decisionId,
            decidedAt,
            recordedInput,
            verdict,
            [.. decision.Reasons.Select(r => new Review.Model.DecisionReason(r.PolicyId, r.Message))],
            decision.ControlOwner,
            decision.Obligations,
            decision.PolicyRevision,
            policyId,
            approverGroup,
            review ? decidedAt + decision.ReviewTtl : null,
            review ? Math.Max(1, decision.MinApprovals) : 1,
            actionDigest,
            requestDigest)
        {
            // Fixed with the decision: a later policy or configuration change does not move a pending review's escalation.
            EscalationGroup = review ? decision.EscalationGroup : string.Empty,
        };
    }
}

/// <summary>The review domain's decisions into the wire response.</summary>
public static class DecisionResponseMapper
{
    public static DecideResponse ToResponse(DecisionFacts decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var response = new DecideResponse
        {
            DecisionId = decision.DecisionId,
            Verdict = ToContract(decision.Verdict),
            ControlOwner = decision.ControlOwner,
            PolicyRevision = decision.PolicyRevision,
        };
        foreach (var reason in decision.Reasons)
        {
            response.Reasons.Add(new Reason { PolicyId = reason.PolicyId, Message = reason.Message });
        }

        foreach (var (key, value) in decision.Obligations)
        {
            response.Obligations[key] = value;
        }

        if (decision.Verdict == DecisionVerdict.RequireHuman)
        {
            response.Review = new Contracts.V1.Review
            {
                ApproverGroup = decision.ApproverGroup,
                ExpiresAt = decision.ExpiresAt is { } expires ? Timestamp.FromDateTimeOffset(expires) : null,
                MinApprovals = decision.MinApprovals,
            };
        }

        return response;
    }

    public static Contracts.V1.Verdict ToContract(DecisionVerdict verdict) => (Contracts.V1.Verdict)(int)verdict;
}
