using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Pdp.Contracts.V1;
using Pdp.Review.Model;

namespace Pdp.Server.Decisions;

/// <summary>Translates stored decisions and dispositions into their wire form.</summary>
public static class DecisionRecordMapper
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static DecisionRecord ToRecord(ReviewView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var (decision, review) = (view.Decision, view.Review);
        var response = DecisionResponseMapper.ToResponse(decision);
        var record = new DecisionRecord
        {
            DecisionId = decision.DecisionId,
            Request = RequestOf(decision.RecordedInput),
            Verdict = response.Verdict,
            ControlOwner = response.ControlOwner,
            Review = response.Review,
            PolicyRevision = response.PolicyRevision,
            DecidedAt = Timestamp.FromDateTimeOffset(decision.DecidedAt),
            ReviewStatus = ToContract(review.State),
            ActionDigest = decision.ActionDigest,
            ApprovedActionDigest = review.ApprovedDigest,
            Overridden = review.Overridden,
            Approvals = review.Approvals,
            ApproverGroup = decision.ApproverGroup,
            EscalationGroup = decision.EscalationGroup,
        };
        record.Reasons.Add(response.Reasons);
        record.Obligations.Add(response.Obligations);
        record.Dispositions.Add(review.Dispositions.Select(ToContract));
        if (review.SettledAt is { } settled)
        {
            record.SettledAt = Timestamp.FromDateTimeOffset(settled);
        }

        if (review.EscalatedAt is { } escalated)
        {
            record.EscalatedAt = Timestamp.FromDateTimeOffset(escalated);
        }

        return record;
    }

    public static Disposition ToContract(DispositionEntry disposition)
    {
        ArgumentNullException.ThrowIfNull(disposition);
        var result = new Disposition
        {
            Reviewer = disposition.Reviewer,
            Outcome = (Outcome)(int)disposition.Outcome,
            Justification = disposition.Justification,
            RecordedAt = Timestamp.FromDateTimeOffset(disposition.RecordedAt),
            Override = disposition.IsOverride,
            ActionDigest = disposition.ActionDigest,
            AuditSeq = disposition.AuditSeq,
        };
        if (disposition.Parameters is { } parameters)
        {
            result.Parameters = Parser.Parse<Struct>(parameters.ToJsonString());
        }

        return result;
    }

    public static ReviewOutcome? FromContract(Outcome outcome) => outcome switch
    {
        Outcome.Approved => ReviewOutcome.Approved,
        Outcome.Rejected => ReviewOutcome.Rejected,
        Outcome.Modified => ReviewOutcome.Modified,
        Outcome.Reversed => ReviewOutcome.Reversed,
        Outcome.Expired => ReviewOutcome.Expired,
        _ => null,
    };

    public static ReviewStatus ToContract(ReviewState state) => (ReviewStatus)(int)state;

    /// <summary>The request as recorded: the input's request fields, which mirror the message's JSON form.</summary>
    private static DecideRequest RequestOf(JsonObject input)
    {
        var request = new JsonObject();
        foreach (var key in new[] { "request_id", "agent", "action", "context" })
        {
            request[key] = input[key]?.DeepClone();
        }

        try
        {
            return Parser.Parse<DecideRequest>(request.ToJsonString());
        }
        catch (InvalidProtocolBufferException)
        {
            // A masked number ("***") no longer fits its field; fall back to the parts that still parse.
            var partial = new DecideRequest();
            if (input["agent"] is JsonObject agent)
            {
                partial.Agent = Parser.Parse<Agent>(agent.ToJsonString());
            }

            partial.RequestId = input["request_id"]?.GetValue<string>() ?? string.Empty;
            return partial;
        }
    }
}
