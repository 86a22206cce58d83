using Grpc.Core;
using Microsoft.Extensions.Options;
using Pdp.Contracts.V1;
using Pdp.Server.Configuration;
using Pdp.Server.Identity;
using Pdp.Review.Rules;
using Pdp.Server.Reviews;

namespace Pdp.Server.Decisions;

/// <summary>
/// The gRPC edge of decisions and reviews: validate, evaluate, record durably, answer. Failures are
/// mapped to statuses by <see cref="Errors.RpcErrorInterceptor"/>.
/// </summary>
public sealed class DecisionGrpcService(
    DecisionMaker maker,
    IdempotencyCache idempotency,
    ReviewService reviews,
    Reviewers.ReviewerAuthentication reviewers,
    IOptions<PdpOptions> options) : DecisionService.DecisionServiceBase
{
    private readonly DecisionInputBuilder _inputs = new(options.Value.MaxStructDepth);

    public override Task<DecideResponse> Decide(DecideRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var proposal = _inputs.Build(request);
        var digest = RequestDigest.Of(proposal, request.RequestId);
        // Most calls carry no request id: they go straight to the decision, with no closure for the window.
        return string.IsNullOrEmpty(request.RequestId)
            ? DecideNowAsync(proposal, digest, context)
            : idempotency.GetOrDecideAsync(request, digest, () => DecideNowAsync(proposal, digest, context));
    }

    public override async Task<RecordDispositionResponse> RecordDisposition(RecordDispositionRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var parameters = request.Parameters is null ? null : _inputs.Struct(request.Parameters, "parameters");
        var (reviewer, proof) = await reviewers.ResolveAsync(request.Reviewer, context.RequestHeaders.GetValue("authorization"), context.CancellationToken).ConfigureAwait(false);
        var command = new DispositionCommand(request.DecisionId, reviewer, DecisionRecordMapper.FromContract(request.Outcome), request.Justification, parameters, CallerIdentityInterceptor.Of(context).ToRecordingCaller(), proof);
        var (disposition, view) = await reviews.RecordAsync(command, context.CancellationToken).ConfigureAwait(false);
        return new RecordDispositionResponse
        {
            Disposition = DecisionRecordMapper.ToContract(disposition),
            Decision = DecisionRecordMapper.ToRecord(view),
        };
    }

    public override async Task<DecisionRecord> GetDecision(GetDecisionRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return DecisionRecordMapper.ToRecord(await reviews.FindAsync(request.DecisionId, context.CancellationToken).ConfigureAwait(false));
    }

    public override async Task WatchDecision(WatchDecisionRequest request, IServerStreamWriter<DecisionRecord> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        await foreach (var view in reviews.WatchAsync(request.DecisionId, context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(DecisionRecordMapper.ToRecord(view), context.CancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<DecideResponse> DecideNowAsync(System.Text.Json.Nodes.JsonObject proposal, string requestDigest, ServerCallContext context)
    {
        var outcome = await maker.DecideAsync(proposal, CallerIdentityInterceptor.Of(context), requestDigest, context.CancellationToken).ConfigureAwait(false);
        return outcome.Response;
    }

}
