using Google.Protobuf.WellKnownTypes;
using Pdp.Contracts.V1;
using Pdp.Evaluation.Results;
using ContractVerdict = Pdp.Contracts.V1.Verdict;
using Verdict = Pdp.Evaluation.Results.Verdict;

namespace Pdp.Server.Decisions;

/// <summary>Translates an evaluated <see cref="Decision"/> into the wire response.</summary>
public static class DecisionResponseMapper
{
    public static DecideResponse ToResponse(Decision decision, string decisionId, DateTimeOffset decidedAt)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var response = new DecideResponse
        {
            DecisionId = decisionId,
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

        if (decision.Verdict == Verdict.RequireHuman)
        {
            response.Review = new Review
            {
                ApproverGroup = decision.ApproverGroup,
                ExpiresAt = Timestamp.FromDateTimeOffset(decidedAt + decision.ReviewTtl),
                MinApprovals = decision.MinApprovals,
            };
        }

        return response;
    }

    public static ContractVerdict ToContract(Verdict verdict) => verdict switch
    {
        Verdict.Allow => ContractVerdict.Allow,
        Verdict.RequireHuman => ContractVerdict.RequireHuman,
        _ => ContractVerdict.Deny,
    };
}
