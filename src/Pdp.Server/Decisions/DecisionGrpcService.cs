using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Pdp.Contracts.V1;
using Pdp.Evaluation;
using Pdp.Evaluation.Results;
using Pdp.Server.Auditing;
using Pdp.Server.Configuration;
using Pdp.Server.Errors;
using Pdp.Server.Identity;
using Pdp.Server.Logging;
using Pdp.Server.Metrics;
using Pdp.Server.Policies;
using Pdp.Server.Reviews;

namespace Pdp.Server.Decisions;

/// <summary>
/// The gRPC edge of decisions and reviews: validate, evaluate, record durably, answer. Failures are
/// mapped to statuses by <see cref="RpcErrorInterceptor"/>.
/// </summary>
public sealed class DecisionGrpcService(
    PolicyStore policies,
    IdempotencyCache idempotency,
    IDecisionStore decisions,
    DecisionRecorder recorder,
    ReviewService reviews,
    PdpMetrics metrics,
    IOptions<PdpOptions> options,
    TimeProvider time,
    ILogger<DecisionGrpcService> logger) : DecisionService.DecisionServiceBase
{
    private readonly DecisionInputBuilder _inputs = new(options.Value.MaxStructDepth);

    public override Task<DecideResponse> Decide(DecideRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var digest = IdempotencyCache.Digest(request);
        return idempotency.GetOrDecideAsync(request, digest, () => DecideNowAsync(request, digest, context));
    }

    public override async Task<RecordDispositionResponse> RecordDisposition(RecordDispositionRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var parameters = request.Parameters is null ? null : _inputs.Struct(request.Parameters, "parameters");
        var command = new DispositionCommand(request.DecisionId, request.Reviewer, DecisionRecordMapper.FromContract(request.Outcome), request.Justification, parameters, CallerIdentityInterceptor.Of(context));
        var (disposition, entry) = await reviews.RecordAsync(command, context.CancellationToken).ConfigureAwait(false);
        return new RecordDispositionResponse
        {
            Disposition = DecisionRecordMapper.ToContract(disposition),
            Decision = DecisionRecordMapper.ToRecord(entry, entry.Snapshot),
        };
    }

    public override Task<DecisionRecord> GetDecision(GetDecisionRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var entry = reviews.Find(request.DecisionId);
        return Task.FromResult(DecisionRecordMapper.ToRecord(entry, entry.Snapshot));
    }

    public override async Task WatchDecision(WatchDecisionRequest request, IServerStreamWriter<DecisionRecord> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        await foreach (var (entry, review) in reviews.WatchAsync(request.DecisionId, context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(DecisionRecordMapper.ToRecord(entry, review), context.CancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<DecideResponse> DecideNowAsync(DecideRequest request, byte[] requestDigest, ServerCallContext context)
    {
        var evaluator = policies.Current ?? throw new NotReadyException();
        context.CancellationToken.ThrowIfCancellationRequested();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        var decisionId = Guid.CreateVersion7(now).ToString();
        var input = _inputs.Build(request, decisionId, now, CallerFacts(context));
        var decision = evaluator.Evaluate(new EvaluationRequest(input, request.Action.Type, now));
        LogFailures(decision, decisionId);

        var response = DecisionResponseMapper.ToResponse(decision, decisionId, now);
        var approverGroup = decision.Verdict == Pdp.Evaluation.Results.Verdict.RequireHuman
            ? decision.ApproverGroup
            : evaluator.PolicySet.Find(decision.DecidingPolicyId ?? string.Empty)?.Metadata.ApproverGroup ?? string.Empty;
        var entry = new DecisionEntry(decisionId, now, recorder.Redact(input, evaluator), response, decision.DecidingPolicyId ?? DecisionCombiner.DefaultPolicyId, approverGroup, ActionDigest.Of(input));

        // Nothing is answered that is not on record: the decision is durable before the caller hears it.
        await recorder.RecordDecisionAsync(entry, decision, Convert.ToHexStringLower(requestDigest), CancellationToken.None).ConfigureAwait(false);
        decisions.Add(entry);
        metrics.RecordDecision(decision, request.Action.Type, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        ServerLog.DecisionMade(logger, decisionId, decision.Verdict.ToText(), request.Action.Type, decision.DecidingPolicyId ?? DecisionCombiner.DefaultPolicyId, decision.PolicyRevision);
        return response;
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

    // Who the transport says is calling (a verified SPIFFE ID, Unix peer credentials, or nothing).
    private static JsonObject CallerFacts(ServerCallContext context) => CallerIdentityInterceptor.Of(context).ToInput();
}
