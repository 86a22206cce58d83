using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Pdp.Evaluation;
using Pdp.Evaluation.Results;
using Pdp.Policies.Model;
using Pdp.Server.Auditing;
using Pdp.Server.Errors;
using Pdp.Server.Identity;
using Pdp.Server.Logging;
using Pdp.Server.Metrics;
using Pdp.Server.Policies;
using Pdp.Review.Model;
using Pdp.Review.Rules;
using Pdp.Review.Store;

namespace Pdp.Server.Decisions;

/// <summary>What one decision produced: the evaluated decision, its wire answer and the facts the review step keeps.</summary>
public sealed record DecisionOutcome(Decision Decision, Pdp.Contracts.V1.DecideResponse Response, DecisionFacts Facts);

/// <summary>
/// The decision path every front door shares (gRPC Decide, Envoy's Check, AuthZEN): add the server's
/// facts to a proposal, evaluate it against the revision being served, record it durably, remember it
/// for reviews, count it — and only then answer.
/// </summary>
public sealed class DecisionMaker(
    PolicyStore policies,
    IReviewStore decisions,
    DecisionRecorder recorder,
    PdpMetrics metrics,
    AdmissionControl admission,
    TimeProvider time,
    ILogger<DecisionMaker> logger)
{
    /// <summary>
    /// Decides on <paramref name="proposal"/>: an input document holding at least <c>action.type</c> (every
    /// other field gets its default). The object becomes the recorded input; callers must not reuse it.
    /// </summary>
    public async Task<DecisionOutcome> DecideAsync(JsonObject proposal, CallerIdentity caller, string requestDigest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(caller);
        var evaluator = policies.Current ?? throw new NotReadyException();
        cancellationToken.ThrowIfCancellationRequested();
        var actionType = proposal["action"]?["type"] is JsonValue type && type.TryGetValue<string>(out var text) ? text : string.Empty;
        if (!ActionType.IsValid(actionType))
        {
            throw new RequestValidationException("action.type", $"must be dotted lowercase segments such as 'iam.account.disable', at most {ActionType.MaxLength} characters");
        }

        using var slot = await admission.AdmitAsync(cancellationToken).ConfigureAwait(false);

        // A call whose deadline passed while it waited is not evaluated: nobody is there to act on the answer.
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        var decisionId = Guid.CreateVersion7(now).ToString();
        proposal["decision_id"] = decisionId;
        proposal["time"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        proposal["caller"] = caller.ToInput();
        var input = Pdp.Evaluation.Input.InputDefaults.CompleteProposal(proposal);
        var decision = evaluator.Evaluate(new EvaluationRequest(input, actionType, now));
        LogFailures(decision, decisionId);

        var policyId = decision.DecidingPolicyId ?? DecisionCombiner.DefaultPolicyId;
        var approverGroup = decision.Verdict == Verdict.RequireHuman
            ? decision.ApproverGroup
            : evaluator.PolicySet.Find(policyId)?.Metadata.ApproverGroup ?? string.Empty;
        var facts = DecisionFactsMapper.From(decision, decisionId, now, recorder.Redact(input, evaluator), policyId, approverGroup, ActionDigest.Of(input), requestDigest);

        // Nothing is answered that is not on record. A shared review store commits a require-human decision
        // before anything else (so any instance can serve its review, and a store that cannot take it fails
        // the call closed); the local trail has every decision before the answer, and the store learns of
        // the rest only once the trail has them.
        var commitFirst = decisions.SharesReviews && facts.Verdict == DecisionVerdict.RequireHuman;
        if (commitFirst)
        {
            await decisions.AddAsync(facts, CancellationToken.None).ConfigureAwait(false);
        }

        facts = await recorder.RecordDecisionAsync(facts, decision, CancellationToken.None).ConfigureAwait(false);
        if (!commitFirst)
        {
            await decisions.AddAsync(facts, CancellationToken.None).ConfigureAwait(false);
        }

        var response = DecisionResponseMapper.ToResponse(facts);
        metrics.RecordDecision(decision, actionType, Stopwatch.GetElapsedTime(started));
        ServerLog.DecisionMade(logger, decisionId, decision.Verdict.ToText(), actionType, policyId, decision.PolicyRevision);
        return new DecisionOutcome(decision, response, facts);
    }

    private void LogFailures(Decision decision, string decisionId)
    {
        foreach (var outcome in decision.Outcomes)
        {
            if (outcome.Error != PolicyErrorKind.None)
            {
                ServerLog.PolicyFailed(logger, outcome.PolicyId, outcome.Error.ToString(), decisionId);
            }
        }
    }
}
