using System.Text.Json.Nodes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Pdp.Contracts.V1;
using Pdp.Evaluation;
using Pdp.Evaluation.Results;
using Pdp.Server.Configuration;
using Pdp.Server.Errors;
using Pdp.Server.Logging;
using Pdp.Server.Policies;

namespace Pdp.Server.Decisions;

/// <summary>The gRPC edge of the decision path: validate, evaluate, answer. Failures are mapped by <see cref="RpcErrorInterceptor"/>.</summary>
public sealed class DecisionGrpcService(
    PolicyStore policies,
    IdempotencyCache idempotency,
    IOptions<PdpOptions> options,
    TimeProvider time,
    ILogger<DecisionGrpcService> logger) : DecisionService.DecisionServiceBase
{
    private readonly DecisionInputBuilder _inputs = new(options.Value.MaxStructDepth);

    public override Task<DecideResponse> Decide(DecideRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return idempotency.GetOrDecideAsync(request, () => Task.FromResult(DecideNow(request, context)));
    }

    private DecideResponse DecideNow(DecideRequest request, ServerCallContext context)
    {
        var evaluator = policies.Current ?? throw new NotReadyException();
        context.CancellationToken.ThrowIfCancellationRequested();
        var now = time.GetUtcNow();
        var decisionId = Guid.CreateVersion7(now).ToString();
        var input = _inputs.Build(request, decisionId, now, CallerFacts(context));
        var decision = evaluator.Evaluate(new EvaluationRequest(input, request.Action.Type, now));
        foreach (var failed in decision.Outcomes)
        {
            if (failed?.Error is { } kind && kind != PolicyErrorKind.None)
            {
                ServerLog.PolicyFailed(logger, failed.PolicyId, kind.ToString(), decisionId);
            }
        }

        ServerLog.DecisionMade(logger, decisionId, decision.Verdict.ToText(), request.Action.Type, decision.DecidingPolicyId ?? DecisionCombiner.DefaultPolicyId, decision.PolicyRevision);
        return DecisionResponseMapper.ToResponse(decision, decisionId, now);
    }

    private static JsonObject CallerFacts(ServerCallContext context) => new()
    {
        // Plaintext TCP proves nothing about who is calling; policies must treat it as such.
        ["authenticated"] = false,
        ["transport"] = "tcp",
        ["address"] = context.GetHttpContext().Connection.RemoteIpAddress?.ToString() ?? string.Empty,
    };
}
