using System.Text.Json.Nodes;
using Pdp.Audit;
using Pdp.Contracts.Envoy.Auth.V3;
using Pdp.Server.Errors;
using Pdp.Server.Mesh;
using Xunit;
using GrpcCode = Grpc.Core.StatusCode;
using HttpCode = Pdp.Contracts.Envoy.Types.V3.StatusCode;

namespace Pdp.Server.Tests;

/// <summary>
/// Failures inside Check (no revision, the trail down, overload, a bug) become denials through the one error
/// mapping, never gRPC errors that Envoy's failure_mode_allow could turn into an allow.
/// </summary>
public sealed class EnvoyFailureTests
{
    public static TheoryData<string, HttpCode, GrpcCode> Failures() => new()
    {
        { "not ready", HttpCode.ServiceUnavailable, GrpcCode.Unavailable },
        { "trail down", HttpCode.ServiceUnavailable, GrpcCode.Unavailable },
        { "overloaded", HttpCode.ServiceUnavailable, GrpcCode.ResourceExhausted },
        { "invalid", HttpCode.BadRequest, GrpcCode.InvalidArgument },
        { "bug", HttpCode.InternalServerError, GrpcCode.Internal },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Failure_AnyException_DenialWithStatusAndJsonBody(string what, HttpCode http, GrpcCode code)
    {
        Exception failure = what switch
        {
            "not ready" => new NotReadyException(),
            "trail down" => new AuditWriteException("disk full"),
            "overloaded" => new OverloadedException("too many decisions in progress"),
            "invalid" => new RequestValidationException("action.parameters", "is nested too deeply"),
            _ => new InvalidOperationException("secret internal detail"),
        };

        var response = CheckResponses.Failure(RpcErrorMapping.ToStatus(failure), "pdp-operators");

        Assert.Equal(CheckResponse.HttpResponseOneofCase.DeniedResponse, response.HttpResponseCase);
        Assert.Equal((int)code, response.Status.Code);
        Assert.Equal(http, response.DeniedResponse.Status.Code);
        var body = JsonNode.Parse(response.DeniedResponse.Body)!.AsObject();
        Assert.Equal("deny", body["verdict"]!.GetValue<string>());
        Assert.Equal("pdp-operators", body["control_owner"]!.GetValue<string>());
        Assert.DoesNotContain("secret internal detail", response.DeniedResponse.Body, StringComparison.Ordinal);
    }
}
