using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pdp.Review.Model;
using Pdp.Review.Rules;
using Pdp.Review.Store;
using Pdp.Server.Configuration;

namespace Pdp.Server.Mesh;

/// <summary>What a retry carrying an approval got: the approved decision and the use now on record, or why not.</summary>
public sealed record ApprovalRedemption(DecisionFacts? Decision, ApprovalUse? Use, string Refusal)
{
    public bool Accepted => Use is not null;
}

/// <summary>
/// Turns a human approval into one allowed request. The retry names the decision in the approval header;
/// it is allowed only if that decision's review settled APPROVED or MODIFIED, within
/// <c>Pdp:Envoy:ApprovalValiditySeconds</c> of settling, never used before, for the same agent, and for the
/// same action: the retry's action digest (type, target, parameters as mapped from the retry itself) equals
/// the approved digest, and a body Pdp could not read is the same body. The use is written to the trail
/// (<c>approval_use</c>) before the answer, as one change of the review store, so two racing retries cannot
/// both win (on one instance or, with a shared store, on several) and a restart replays it.
/// </summary>
public sealed class ApprovalRedeemer(IReviewStore store, IOptions<PdpOptions> options, TimeProvider time)
{
    private readonly TimeSpan _validity = TimeSpan.FromSeconds(options.Value.Envoy.ApprovalValiditySeconds);
    private readonly string _header = options.Value.Envoy.ApprovalHeader;

    /// <param name="approvalId">The decision id the retry carries.</param>
    /// <param name="proposal">The retry's input, as mapped from this request.</param>
    /// <param name="recordedInput">The retry's input as it may be kept (redacted), for the trail.</param>
    public async Task<ApprovalRedemption> RedeemAsync(string approvalId, JsonObject proposal, JsonObject recordedInput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(approvalId);
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(recordedInput);
        if (!Guid.TryParse(approvalId, out _))
        {
            return Refused(null, $"{_header}: '{Clip(approvalId)}' is not a decision id");
        }

        string? refusal = null;
        var result = await store.ChangeAsync(
            approvalId,
            current =>
            {
                var now = time.GetUtcNow();
                refusal = Check(current, proposal, now);
                if (refusal is not null)
                {
                    return null;
                }

                recordedInput["decision_id"] = current.Decision.DecisionId;
                return ReviewChange.ApprovalUsed(Guid.CreateVersion7(now).ToString(), now, ActionDigest.Of(proposal), current.Review.ApprovedDigest, recordedInput);
            },
            cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return Refused(null, $"{_header}: no decision {approvalId} is known (an unknown id, or one forgotten past Pdp:Review:RetainDecisions)");
        }

        return refusal is not null || result.View.ApprovalUse is not { } use
            ? Refused(result.View.Decision, refusal ?? "the approval could not be used")
            : new ApprovalRedemption(result.View.Decision, use, string.Empty);
    }

    private string? Check(ReviewView view, JsonObject proposal, DateTimeOffset now)
    {
        var (entry, review) = (view.Decision, view.Review);
        var id = entry.DecisionId;
        switch (review.State)
        {
            case ReviewState.Approved or ReviewState.Modified:
                break;
            case ReviewState.Pending when entry.ExpiresAt is { } expires && now >= expires:
            case ReviewState.Expired:
                return $"the review of decision {id} expired unsettled at {entry.ExpiresAt:O}; an expired review is never an approval";
            case ReviewState.Pending:
                return $"decision {id} is still waiting for a human ({entry.ApproverGroup}); wait for it (WatchDecision) and retry once it is approved";
            case ReviewState.Rejected:
                return $"decision {id} was rejected by a human";
            case ReviewState.Reversed:
                return $"decision {id} was reversed by a human";
            default:
                return $"decision {id} was {VerdictText(entry.Verdict)} and had no review; {_header} must name a require-human decision a human approved";
        }

        if (view.ApprovalUse is { } used)
        {
            return $"the approval of decision {id} was already used at {used.UsedAt:O} (use {used.UseId}); an approval allows one request";
        }

        var settled = review.SettledAt ?? entry.DecidedAt;
        if (now > settled + _validity)
        {
            return $"the approval of decision {id} expired at {settled + _validity:O} ({_validity.TotalSeconds:0} s after it was settled, Pdp:Envoy:ApprovalValiditySeconds); propose the action again";
        }

        var agent = proposal["agent"]?["id"]?.GetValue<string>() ?? string.Empty;
        if (!string.Equals(agent, entry.AgentId, StringComparison.Ordinal))
        {
            return $"decision {id} was proposed by '{entry.AgentId}', not by '{Clip(agent)}'; an approval serves the agent that asked for it";
        }

        if (!string.Equals(ActionDigest.Of(proposal), review.ApprovedDigest, StringComparison.Ordinal))
        {
            var action = proposal["action"]!;
            return $"this request ({action["type"]} on {action["target"]?["kind"]} '{Clip(action["target"]?["id"]?.GetValue<string>() ?? string.Empty)}') is not the action approved in decision {id}: its type, target or parameters differ";
        }

        if (!string.Equals(BodyDigest(proposal), BodyDigest(entry.RecordedInput), StringComparison.Ordinal))
        {
            return $"this request's body is not the body of the request approved in decision {id}";
        }

        return null;
    }

    private static string BodyDigest(JsonObject input) =>
        input["context"]?["http"]?["body"]?["sha256"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;

    private static ApprovalRedemption Refused(DecisionFacts? entry, string reason) => new(entry, null, reason);

    private static string VerdictText(DecisionVerdict verdict) => Pdp.Review.Events.DecisionEventJson.VerdictText(verdict);

    private static string Clip(string text) => text.Length <= 128 ? text : text[..128] + "…";
}
