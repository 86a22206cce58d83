using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pdp.Contracts.Envoy.Auth.V3;
using Pdp.Server.Auditing;
using Pdp.Server.Configuration;
using Pdp.Server.Decisions;
using Pdp.Server.Errors;
using Pdp.Server.Identity;
using Pdp.Server.Policies;
using GrpcCode = Grpc.Core.StatusCode;
using HttpCode = Pdp.Contracts.Envoy.Types.V3.StatusCode;

namespace Pdp.Server.Mesh;

/// <summary>
/// Answers one Envoy Check: maps it to an input, then either refuses it without a policy decision
/// (caller not allowed, malformed, unknown action — each recorded as <c>check_refusal</c>), redeems the
/// approval it carries (<see cref="ApprovalRedeemer"/>), or decides it on the shared path
/// (<see cref="DecisionMaker"/>, recorded as <c>decision</c>). Every outcome, failures included, is a
/// well-formed CheckResponse: Envoy never sees a gRPC error it could turn into an allow.
/// </summary>
public sealed class EnvoyCheckHandler(
    CheckRequestMapper mapper,
    ApprovalRedeemer approvals,
    DecisionMaker maker,
    DecisionRecorder recorder,
    PolicyStore policies,
    IOptions<PdpOptions> options,
    TimeProvider time,
    ILogger<EnvoyCheckHandler> logger)
{
    public const string CallerRefusal = "caller";
    public const string MalformedRefusal = "malformed";
    public const string UnknownActionRefusal = "unknown_action";
    public const string ApprovalRefusal = "approval";

    private readonly EnvoyOptions _envoy = options.Value.Envoy;
    private readonly string _defaultOwner = options.Value.DefaultOwner;

    public async Task<CheckResponse> CheckAsync(CheckRequest request, CallerIdentity caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var incoming = IncomingHeaders(request);
        try
        {
            var evaluator = policies.Current ?? throw new NotReadyException();
            if (CallerProblem(caller) is { } notAllowed)
            {
                return await RefuseAsync(CallerRefusal, notAllowed, string.Empty, Recorded(null, caller, evaluator), HttpCode.Forbidden, GrpcCode.PermissionDenied).ConfigureAwait(false);
            }

            var mapping = mapper.Map(request);
            switch (mapping.Kind)
            {
                case CheckMappingKind.Malformed:
                    return await RefuseAsync(MalformedRefusal, mapping.Reason, string.Empty, Recorded(null, caller, evaluator), HttpCode.BadRequest, GrpcCode.InvalidArgument).ConfigureAwait(false);
                case CheckMappingKind.Undecidable:
                    return await RefuseAsync(UnknownActionRefusal, mapping.Reason, mapping.ApprovalId, Recorded(mapping.Proposal, caller, evaluator), HttpCode.Forbidden, GrpcCode.PermissionDenied).ConfigureAwait(false);
            }

            var proposal = mapping.Proposal!;
            if (mapping.ApprovalId.Length > 0)
            {
                var redemption = await approvals.RedeemAsync(mapping.ApprovalId, proposal, Recorded(proposal, caller, evaluator), cancellationToken).ConfigureAwait(false);
                if (!redemption.Accepted)
                {
                    return await RefuseAsync(ApprovalRefusal, redemption.Refusal, mapping.ApprovalId, Recorded(proposal, caller, evaluator), HttpCode.Forbidden, GrpcCode.PermissionDenied).ConfigureAwait(false);
                }

                var approved = redemption.Decision!;
                MeshLog.ApprovalUsed(logger, approved.DecisionId, redemption.Use!.UseId);
                return CheckResponses.Allow(approved.DecisionId, approved.Obligations, incoming, redemption.Use.UseId);
            }

            var outcome = await maker.DecideAsync(proposal, caller, RequestDigest.Of(proposal, request.Attributes?.Request?.Http?.Id), cancellationToken).ConfigureAwait(false);
            return CheckResponses.FromDecision(outcome.Response, incoming, _envoy.ApprovalHeader);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // The one mapping of failures to statuses; answered as a denial, never as an error Envoy might fail open on.
            var status = RpcErrorMapping.ToStatus(e);
            if (RpcErrorMapping.IsExpected(e) || e is Pdp.Audit.AuditWriteException)
            {
                MeshLog.CheckFailed(logger, status.StatusCode.ToString(), status.Detail);
            }
            else
            {
                MeshLog.CheckCrashed(logger, e);
            }

            return CheckResponses.Failure(status, _defaultOwner);
        }
    }

    private async Task<CheckResponse> RefuseAsync(string kind, string reason, string approvalId, JsonObject recordedInput, HttpCode http, GrpcCode code)
    {
        var now = time.GetUtcNow();
        var refusalId = Guid.CreateVersion7(now).ToString();
        await recorder.RecordCheckRefusalAsync(refusalId, now, kind, reason, approvalId, recordedInput, CancellationToken.None).ConfigureAwait(false);
        MeshLog.CheckRefused(logger, kind, refusalId);
        return CheckResponses.Refuse(refusalId, reason, _defaultOwner, approvalId, http, code);
    }

    /// <summary>The input as it may be kept: the mapped proposal (if any) with the time and the caller, redacted as decisions are.</summary>
    private JsonObject Recorded(JsonObject? proposal, CallerIdentity caller, Pdp.Evaluation.PolicyEvaluator evaluator)
    {
        var input = proposal?.DeepClone().AsObject() ?? [];
        input["time"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        input["caller"] = caller.ToInput();
        return recorder.Redact(input, evaluator);
    }

    private string? CallerProblem(CallerIdentity caller)
    {
        if (_envoy.Callers.Count == 0)
        {
            return null;
        }

        if (caller.Spiffe is not { } spiffe || !caller.Authenticated)
        {
            return "caller: with Pdp:Envoy:Callers set, Check is answered only over mTLS to a listed proxy";
        }

        return _envoy.Callers.Any(spiffe.Matches) ? null : $"caller: {spiffe} is not listed in Pdp:Envoy:Callers";
    }

    private static string[] IncomingHeaders(CheckRequest? request)
    {
        var http = request?.Attributes?.Request?.Http;
        return http is null ? [] : [.. http.Headers.Keys, .. http.HeaderMap?.Headers.Select(h => h.Key) ?? []];
    }
}
