using System.Text.Json.Nodes;
using Pdp.Contracts.Envoy.Auth.V3;
using Pdp.Contracts.Envoy.Core.V3;
using Pdp.Contracts.V1;
using Pdp.Server.Auditing;
using GrpcCode = Grpc.Core.StatusCode;
using HttpCode = Pdp.Contracts.Envoy.Types.V3.StatusCode;
using HttpStatus = Pdp.Contracts.Envoy.Types.V3.HttpStatus;
using RpcStatus = Pdp.Contracts.Envoy.Rpc.Status;

namespace Pdp.Server.Mesh;

/// <summary>
/// Builds Envoy's <c>CheckResponse</c>: allow → OK with headers for the upstream; anything else → a
/// non-OK status with a <c>denied_response</c> (HTTP status, headers, JSON body) for the agent.
/// </summary>
public static class CheckResponses
{
    public const string DecisionIdHeader = "x-pdp-decision-id";
    public const string VerdictHeader = "x-pdp-verdict";
    public const string ApproverGroupHeader = "x-pdp-approver-group";
    public const string RefusalIdHeader = "x-pdp-refusal-id";
    public const string ApprovalUseHeader = "x-pdp-approval-use";
    public const string ObligationPrefix = "x-pdp-obligation-";

    /// <summary>The <c>policy_id</c> of reasons Pdp gives itself, when no policy decided (refusals, failures).</summary>
    public const string FrontDoorPolicyId = "pdp-envoy";

    private const string PdpHeaderPrefix = "x-pdp-";

    /// <summary>
    /// Allowed: OK, and the upstream gets <c>x-pdp-decision-id</c>, <c>x-pdp-verdict: allow</c>, each obligation as
    /// <c>x-pdp-obligation-&lt;key&gt;</c> and, for an approval's use, <c>x-pdp-approval-use</c>. Any other
    /// <c>x-pdp-*</c> header the client sent is removed, so an agent cannot forge what Pdp tells the upstream.
    /// </summary>
    public static CheckResponse Allow(string decisionId, IEnumerable<KeyValuePair<string, string>> obligations, IEnumerable<string> incomingHeaders, string useId)
    {
        ArgumentNullException.ThrowIfNull(obligations);
        ArgumentNullException.ThrowIfNull(incomingHeaders);
        var ok = new OkHttpResponse();
        Set(ok.Headers, DecisionIdHeader, decisionId);
        Set(ok.Headers, VerdictHeader, "allow");
        if (useId.Length > 0)
        {
            Set(ok.Headers, ApprovalUseHeader, useId);
        }

        foreach (var (key, value) in obligations.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            Set(ok.Headers, ObligationPrefix + HeaderKey(key), value);
        }

        var set = ok.Headers.Select(h => h.Header.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        ok.HeadersToRemove.AddRange(incomingHeaders
            .Select(h => h.ToLowerInvariant())
            .Where(h => h.StartsWith(PdpHeaderPrefix, StringComparison.Ordinal) && !set.Contains(h))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal));
        return new CheckResponse { Status = new RpcStatus { Code = (int)GrpcCode.OK }, OkResponse = ok };
    }

    /// <summary>A policy decision: allow as <see cref="Allow"/>; deny and require_human as 403 with the reasons.</summary>
    public static CheckResponse FromDecision(DecideResponse response, IEnumerable<string> incomingHeaders, string approvalHeader)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Verdict == Verdict.Allow)
        {
            return Allow(response.DecisionId, response.Obligations, incomingHeaders, string.Empty);
        }

        var humans = response.Verdict == Verdict.RequireHuman;
        var body = new JsonObject
        {
            ["verdict"] = humans ? "require_human" : "deny",
            ["decision_id"] = response.DecisionId,
            ["control_owner"] = response.ControlOwner,
            ["reasons"] = Reasons(response.Reasons.Select(r => (r.PolicyId, r.Message))),
            ["policy_revision"] = response.PolicyRevision,
        };
        var headers = new List<(string, string)> { (VerdictHeader, humans ? "require_human" : "deny"), (DecisionIdHeader, response.DecisionId) };
        if (humans && response.Review is { } review)
        {
            body["approver_group"] = review.ApproverGroup;
            body["min_approvals"] = review.MinApprovals;
            body["expires_at"] = review.ExpiresAt is null ? string.Empty : DecisionRecorder.Time(review.ExpiresAt.ToDateTimeOffset());
            body["retry"] = new JsonObject
            {
                ["watch"] = "pdp.v1.DecisionService/WatchDecision",
                ["header"] = approvalHeader,
                ["value"] = response.DecisionId,
            };
            headers.Add((ApproverGroupHeader, review.ApproverGroup));
        }

        var message = humans ? $"decision {response.DecisionId} requires a human ({response.Review?.ApproverGroup})" : $"denied by decision {response.DecisionId}";
        return Denied(HttpCode.Forbidden, GrpcCode.PermissionDenied, message, body, headers);
    }

    /// <summary>
    /// A request denied without a policy decision (malformed, unmapped, caller not allowed, a refused approval):
    /// the reason, the refusal's id in the trail and, for approvals, the decision named.
    /// </summary>
    public static CheckResponse Refuse(string refusalId, string reason, string controlOwner, string approvalId, HttpCode http, GrpcCode code)
    {
        var body = new JsonObject
        {
            ["verdict"] = "deny",
            ["refusal_id"] = refusalId,
            ["control_owner"] = controlOwner,
            ["reasons"] = Reasons([(FrontDoorPolicyId, reason)]),
        };
        var headers = new List<(string, string)> { (VerdictHeader, "deny"), (RefusalIdHeader, refusalId) };
        if (approvalId.Length > 0)
        {
            body["approval"] = approvalId;
            headers.Add((DecisionIdHeader, approvalId));
        }

        return Denied(http, code, reason, body, headers);
    }

    /// <summary>
    /// A failure (<see cref="Errors.RpcErrorMapping"/>'s status) answered as a denial rather than a gRPC error,
    /// so Envoy's <c>failure_mode_allow</c> can never turn it into an allow.
    /// </summary>
    public static CheckResponse Failure(Grpc.Core.Status status, string controlOwner)
    {
        var http = status.StatusCode switch
        {
            GrpcCode.InvalidArgument => HttpCode.BadRequest,
            // Inside Check, RESOURCE_EXHAUSTED is admission control (a message too large never reaches the handler).
            GrpcCode.Unavailable or GrpcCode.ResourceExhausted => HttpCode.ServiceUnavailable,
            GrpcCode.PermissionDenied or GrpcCode.FailedPrecondition or GrpcCode.NotFound or GrpcCode.AlreadyExists => HttpCode.Forbidden,
            GrpcCode.Unauthenticated => HttpCode.Unauthorized,
            _ => HttpCode.InternalServerError,
        };
        var body = new JsonObject
        {
            ["verdict"] = "deny",
            ["control_owner"] = controlOwner,
            ["reasons"] = Reasons([(FrontDoorPolicyId, status.Detail)]),
        };
        return Denied(http, status.StatusCode, status.Detail, body, [(VerdictHeader, "deny")]);
    }

    private static CheckResponse Denied(HttpCode http, GrpcCode code, string message, JsonObject body, IEnumerable<(string Name, string Value)> headers)
    {
        var denied = new DeniedHttpResponse { Status = new HttpStatus { Code = http }, Body = body.ToJsonString() };
        Set(denied.Headers, "content-type", "application/json");
        foreach (var (name, value) in headers)
        {
            Set(denied.Headers, name, value);
        }

        return new CheckResponse { Status = new RpcStatus { Code = (int)code, Message = message }, DeniedResponse = denied };
    }

    private static JsonArray Reasons(IEnumerable<(string PolicyId, string Message)> reasons) =>
        [.. reasons.Select(r => (JsonNode)new JsonObject { ["policy_id"] = r.PolicyId, ["message"] = r.Message })];

    private static void Set(Google.Protobuf.Collections.RepeatedField<HeaderValueOption> headers, string name, string value) =>
        headers.Add(new HeaderValueOption
        {
            Header = new HeaderValue { Key = name, Value = HeaderValueText(value) },
            AppendAction = HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd,
            KeepEmptyValue = true,
        });

    /// <summary>An obligation key as a header-name suffix: lower-case letters, digits, '-' and '_'; anything else becomes '-'.</summary>
    public static string HeaderKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return string.Concat(key.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-'));
    }

    // Policies write obligation values and group names; a control character would make the header invalid.
    private static string HeaderValueText(string value) => string.Concat(value.Select(c => char.IsControl(c) ? ' ' : c));
}
