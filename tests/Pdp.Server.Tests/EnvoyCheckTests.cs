using System.Text;
using System.Text.Json.Nodes;
using Pdp.Audit.Verification;
using Pdp.Contracts.Envoy.Auth.V3;
using Xunit;
using static Pdp.Server.Tests.EnvoyTestKit;
using GrpcCode = Grpc.Core.StatusCode;
using HttpCode = Pdp.Contracts.Envoy.Types.V3.StatusCode;

namespace Pdp.Server.Tests;

/// <summary>Envoy's Check over a real gRPC client: how a CheckRequest becomes the policies' input, and how their answer goes back.</summary>
public sealed class EnvoyCheckTests : IAsyncLifetime
{
    private readonly string _policies = CreatePolicies();
    private PdpTestServer _server = null!;

    private Authorization.AuthorizationClient Envoy => new(_server.Channel);

    public async ValueTask InitializeAsync() => _server = await PdpTestServer.StartAsync(_policies, Settings());

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_policies, recursive: true);
    }

    [Fact]
    public async Task Check_ActionHeaderAllowed_OkWithDecisionIdAndObligationHeaders()
    {
        var response = await CheckAsync(Request("POST", "/v1/tickets", [("x-ai-action", "envoy.echo"), ("x-echo", "action.type")]));

        Assert.Equal((int)GrpcCode.OK, response.Status.Code);
        Assert.Equal(CheckResponse.HttpResponseOneofCase.OkResponse, response.HttpResponseCase);
        Assert.True(Guid.TryParse(OkHeader(response, "x-pdp-decision-id"), out _));
        Assert.Equal("allow", OkHeader(response, "x-pdp-verdict"));
        Assert.Equal("15m", OkHeader(response, "x-pdp-obligation-max_ttl"));
        Assert.Equal("T-1", OkHeader(response, "x-pdp-obligation-ticket-id"));
        Assert.Equal("envoy.echo", (await EchoAsync(_server, response))!.GetValue<string>());
    }

    public static TheoryData<string, string, string, string, string> Routes() => new()
    {
        { "POST", "/v1/users/bob/disable", "iam.account.disable", "account", "bob" },
        { "post", "/v1/users/bob%40example.com/disable?reason=phish", "iam.account.disable", "account", "bob@example.com" },
        { "POST", "/v1//users/./x/../carol/disable/", "iam.account.disable", "account", "carol" },
        { "POST", "/V1/%55SERS/dave/DISABLE", "iam.account.disable", "account", "dave" },
        { "GET", "/v1/echo/anything/items", "envoy.echo", "", "" },
        { "DELETE", "/v1/echo/42/items?page=2", "envoy.echo", "", "" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Check_RouteTableMatch_ActionFromRouteAndTargetFromCapture(string method, string path, string type, string kind, string target)
    {
        var response = await CheckAsync(Request(method, path, [("x-echo", "action")]));

        var action = (await EchoAsync(_server, response))!.AsObject();
        Assert.Equal(type, action["type"]!.GetValue<string>());
        Assert.Equal(kind, action["target"]!["kind"]!.GetValue<string>());
        Assert.Equal(target, action["target"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Check_ActionAndTargetHeaders_UsedWhenNoRouteMatches()
    {
        var response = await CheckAsync(Request("POST", "/v1/tickets", [("x-ai-action", "envoy.deny"), ("x-ai-target", "T-9"), ("x-ai-target-kind", "ticket"), ("x-echo", "action.target")]));

        var target = (await EchoAsync(_server, response))!.AsObject();
        Assert.Equal("ticket", target["kind"]!.GetValue<string>());
        Assert.Equal("T-9", target["id"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string[], string> Undecidable() => new()
    {
        { "POST", "/v1/unmapped", [], "unknown action" },
        { "GET", "/v1/users/bob/disable", [], "unknown action" },
        { "POST", "/v1/unmapped", ["x-ai-action", "Drop Table"], "is not an action type" },
        { "POST", "/v1/users/bob/disable", ["x-ai-action", "envoy.echo"], "contradicts the route table" },
        { "POST", "/v1/users/bob/disable", ["x-ai-target", "eve"], "contradicts the route's {target}" },
    };

    [Theory]
    [MemberData(nameof(Undecidable))]
    public async Task Check_NoUsableActionType_DeniedNeverAllowedAndRecorded(string method, string path, string[] header, string says)
    {
        var headers = header.Length == 0 ? [] : new[] { (header[0], header[1]) };

        var response = await CheckAsync(Request(method, path, headers));

        Assert.Equal((int)GrpcCode.PermissionDenied, response.Status.Code);
        Assert.Equal(HttpCode.Forbidden, HttpStatus(response));
        var body = Body(response);
        Assert.Equal("deny", body["verdict"]!.GetValue<string>());
        Assert.Contains(says, body["reasons"]![0]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var refusalId = body["refusal_id"]!.GetValue<string>();
        Assert.Equal(refusalId, DeniedHeader(response, "x-pdp-refusal-id"));
        var recorded = Assert.Single(Refusals(_server.AuditPath, "unknown_action"));
        Assert.Equal(refusalId, recorded.Payload["refusal_id"]!.GetValue<string>());
        Assert.Contains(says, recorded.Payload["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(Trail(_server.AuditPath), r => r.Type == "decision");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Check_JsonObjectBody_ParsedIntoActionParameters(bool rawBody)
    {
        const string json = """{ "reason": "phishing", "hours": 4, "scope": { "sessions": [1, 2], "all": true }, "note": null }""";
        var request = Request("POST", "/v1/tickets", [("x-ai-action", "envoy.deny"), ("x-echo", "action.parameters"), ("content-type", "application/json")], json);
        if (rawBody)
        {
            request = WithRawBody(request, Encoding.UTF8.GetBytes(json));
        }

        var response = await CheckAsync(request);

        var parameters = (await EchoAsync(_server, response))!.AsObject();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), parameters), parameters.ToJsonString());
        var stored = await _server.Client.GetDecisionAsync(new Pdp.Contracts.V1.GetDecisionRequest { DecisionId = DecisionId(response) }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal("phishing", stored.Request.Action.Parameters.Fields["reason"].StringValue);
    }

    public static TheoryData<string, string, bool> UnparsedBodies() => new()
    {
        { "plain text", "disable bob please", false },
        { "a JSON array", "[1, 2, 3]", false },
        { "a JSON string", "\"just a string\"", false },
        { "broken JSON", "{ \"a\": ", false },
        { "a duplicate key", "{ \"a\": 1, \"a\": 2 }", false },
        { "a number out of range", "{ \"a\": 1e400 }", false },
        { "over MaxBodyBytes", "{ \"pad\": \"" + new string('x', 2000) + "\" }", false },
        { "truncated by Envoy", "{ \"a\": 1 }", true },
    };

    [Theory]
    [MemberData(nameof(UnparsedBodies))]
    public async Task Check_BodyNotAJsonObject_NotParsedButSizedAndHashed(string what, string body, bool partial)
    {
        var headers = new List<(string, string)> { ("x-ai-action", "envoy.deny"), ("x-echo", "context.http.body") };
        var parametersProbe = new List<(string, string)> { ("x-ai-action", "envoy.deny"), ("x-echo", "action.parameters") };
        if (partial)
        {
            headers.Add(("x-envoy-auth-partial-body", "true"));
            parametersProbe.Add(("x-envoy-auth-partial-body", "true"));
        }

        var described = (await EchoAsync(_server, await CheckAsync(Request("POST", "/v1/tickets", headers, body))))!.AsObject();
        var parameters = (await EchoAsync(_server, await CheckAsync(Request("POST", "/v1/tickets", parametersProbe, body))))!.AsObject();

        Assert.False(described["parsed"]!.GetValue<bool>(), what);
        Assert.Equal(Encoding.UTF8.GetByteCount(body), described["size"]!.GetValue<long>());
        Assert.Equal(partial, described["truncated"]!.GetValue<bool>());
        Assert.StartsWith("sha256:", described["sha256"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(parameters);
    }

    [Fact]
    public async Task Check_HttpAndPeerFacts_ReachThePolicyAsContextAndAgent()
    {
        var request = Request("PUT", "/v1/echo/7/items?page=2&sort=asc", [("x-echo", "context"), ("x-request-id", "abc-123"), (":authority", "users-api.internal")]);
        request.Attributes.ContextExtensions["incident_id"] = "INC-7";
        request.Attributes.ContextExtensions["http"] = "an extension cannot replace Envoy's own facts";

        var response = await CheckAsync(request);
        var agent = await EchoAsync(_server, await CheckAsync(Request("GET", "/v1/echo/7/items", [("x-echo", "agent.id")])));

        var context = (await EchoAsync(_server, response))!.AsObject();
        var http = context["http"]!.AsObject();
        Assert.Equal("PUT", http["method"]!.GetValue<string>());
        Assert.Equal("/v1/echo/7/items", http["path"]!.GetValue<string>());
        Assert.Equal("page=2&sort=asc", http["query"]!.GetValue<string>());
        Assert.Equal("users-api.internal", http["host"]!.GetValue<string>());
        Assert.Equal("https", http["scheme"]!.GetValue<string>());
        Assert.Equal("HTTP/1.1", http["protocol"]!.GetValue<string>());
        Assert.Equal("abc-123", http["headers"]!["x-request-id"]!.GetValue<string>());
        Assert.Null(http["headers"]![":authority"]);
        Assert.Equal(Agent, context["source_principal"]!.GetValue<string>());
        Assert.Equal(Upstream, context["destination_principal"]!.GetValue<string>());
        Assert.Equal("10.0.0.7:41234", context["source_address"]!.GetValue<string>());
        Assert.Equal("10.0.0.9:8443", context["destination_address"]!.GetValue<string>());
        Assert.Equal("production", context["environment"]!.GetValue<string>());
        Assert.Equal("INC-7", context["incident_id"]!.GetValue<string>());
        Assert.Equal(Agent, agent!.GetValue<string>());
    }

    [Fact]
    public async Task Check_DeniedHeaders_ReachNeitherThePolicyNorTheTrail()
    {
        (string, string)[] secrets =
        [
            ("authorization", "Bearer s3cr3t-authorization"),
            ("proxy-authorization", "Basic s3cr3t-proxy"),
            ("cookie", "sid=s3cr3t-cookie"),
            ("x-api-token", "s3cr3t-token"),
            ("x-client-secret", "s3cr3t-secret"),
            ("x-internal-debug", "s3cr3t-configured"),
        ];
        var request = Request("GET", "/v1/echo/1/items", [.. secrets, ("x-echo", "context.http.headers"), ("x-visible", "visible-value")]);
        request.Attributes.Request.Http.HeaderMap = new Pdp.Contracts.Envoy.Core.V3.HeaderMap
        {
            Headers = { new Pdp.Contracts.Envoy.Core.V3.HeaderValue { Key = "X-Session-Token", RawValue = Google.Protobuf.ByteString.CopyFromUtf8("s3cr3t-raw") } },
        };

        var response = await CheckAsync(request);

        var headers = (await EchoAsync(_server, response))!.AsObject();
        Assert.Equal("visible-value", headers["x-visible"]!.GetValue<string>());
        foreach (var (name, _) in secrets)
        {
            Assert.Null(headers[name]);
        }

        Assert.Null(headers["x-session-token"]);
        var trail = await File.ReadAllTextAsync(_server.AuditPath).WaitAsync(PdpTestServer.Timeout);
        Assert.Contains("visible-value", trail, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", trail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_PolicyDenies_403JsonBodyWithReasonsOwnerAndDecisionId()
    {
        var response = await CheckAsync(Request("POST", "/v1/tickets", [("x-ai-action", "envoy.deny"), ("x-echo", "action.type")]));

        Assert.Equal((int)GrpcCode.PermissionDenied, response.Status.Code);
        Assert.Equal(HttpCode.Forbidden, HttpStatus(response));
        Assert.Equal("application/json", DeniedHeader(response, "content-type"));
        Assert.Equal("deny", DeniedHeader(response, "x-pdp-verdict"));
        var body = Body(response);
        Assert.Equal("deny", body["verdict"]!.GetValue<string>());
        Assert.Equal(Owner, body["control_owner"]!.GetValue<string>());
        Assert.Equal(DeniedHeader(response, "x-pdp-decision-id"), body["decision_id"]!.GetValue<string>());
        Assert.Equal("envoy-test", body["reasons"]![0]!["policy_id"]!.GetValue<string>());
        Assert.Equal("\"envoy.deny\"", body["reasons"]![0]!["message"]!.GetValue<string>());
        var decision = Assert.Single(Trail(_server.AuditPath), r => r.Type == "decision");
        Assert.Equal(body["decision_id"]!.GetValue<string>(), decision.Payload["decision_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Check_PolicyRequiresHuman_403WithVerdictDecisionAndApproverGroup()
    {
        var response = await CheckAsync(Request("POST", "/v1/users/bob/disable"));

        Assert.Equal((int)GrpcCode.PermissionDenied, response.Status.Code);
        Assert.Equal(HttpCode.Forbidden, HttpStatus(response));
        Assert.Equal("require_human", DeniedHeader(response, "x-pdp-verdict"));
        Assert.Equal(Group, DeniedHeader(response, "x-pdp-approver-group"));
        var body = Body(response);
        Assert.Equal("require_human", body["verdict"]!.GetValue<string>());
        Assert.Equal(DeniedHeader(response, "x-pdp-decision-id"), body["decision_id"]!.GetValue<string>());
        Assert.Equal(Group, body["approver_group"]!.GetValue<string>());
        Assert.Equal(Owner, body["control_owner"]!.GetValue<string>());
        Assert.Equal("x-pdp-approval", body["retry"]!["header"]!.GetValue<string>());
        var stored = await _server.Client.GetDecisionAsync(new Pdp.Contracts.V1.GetDecisionRequest { DecisionId = body["decision_id"]!.GetValue<string>() }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(Pdp.Contracts.V1.ReviewStatus.Pending, stored.ReviewStatus);
        Assert.Equal(Agent, stored.Request.Agent.Id);
        Assert.Equal("bob", stored.Request.Action.Target.Id);
    }

    [Fact]
    public async Task Check_ClientSendsPdpHeaders_UpstreamGetsOnlyPdpsOwn()
    {
        var response = await CheckAsync(Request("GET", "/v1/echo/1/items", [("x-pdp-obligation-forged", "yes"), ("x-pdp-verdict", "allow"), ("x-pdp-decision-id", "forged")]));

        Assert.Equal((int)GrpcCode.OK, response.Status.Code);
        Assert.NotEqual("forged", OkHeader(response, "x-pdp-decision-id"));
        Assert.Contains("x-pdp-obligation-forged", response.OkResponse.HeadersToRemove);
        Assert.DoesNotContain("x-pdp-decision-id", response.OkResponse.HeadersToRemove);
        Assert.All(response.OkResponse.Headers, h => Assert.Equal(Pdp.Contracts.Envoy.Core.V3.HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd, h.AppendAction));
    }

    public static TheoryData<string> MalformedRequests() => ["empty", "no request", "no http", "no method", "no path"];

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public async Task Check_MalformedRequest_Denied400RecordedAndServerKeepsServing(string what)
    {
        var request = what switch
        {
            "empty" => new CheckRequest(),
            "no request" => new CheckRequest { Attributes = new AttributeContext { Source = new AttributeContext.Types.Peer { Principal = Agent } } },
            "no http" => new CheckRequest { Attributes = new AttributeContext { Request = new AttributeContext.Types.Request() } },
            "no method" => Request("", "/v1/echo/1/items"),
            _ => Request("GET", ""),
        };

        var response = await CheckAsync(request);
        var after = await CheckAsync(Request("GET", "/v1/echo/1/items"));

        Assert.Equal((int)GrpcCode.InvalidArgument, response.Status.Code);
        Assert.Equal(HttpCode.BadRequest, HttpStatus(response));
        Assert.Equal("deny", Body(response)["verdict"]!.GetValue<string>());
        Assert.NotEmpty(Body(response)["reasons"]![0]!["message"]!.GetValue<string>());
        Assert.Single(Refusals(_server.AuditPath, "malformed"));
        Assert.Equal((int)GrpcCode.OK, after.Status.Code);
        Assert.True(AuditVerifier.Verify(_server.AuditPath).Ok);
    }

    private Task<CheckResponse> CheckAsync(CheckRequest request) => Envoy.CheckAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
}
