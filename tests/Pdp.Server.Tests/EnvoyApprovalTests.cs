using Google.Protobuf.WellKnownTypes;
using Pdp.Audit.Verification;
using Pdp.Contracts.Envoy.Auth.V3;
using Pdp.Contracts.V1;
using Xunit;
using static Pdp.Server.Tests.EnvoyTestKit;
using GrpcCode = Grpc.Core.StatusCode;
using HttpCode = Pdp.Contracts.Envoy.Types.V3.StatusCode;

namespace Pdp.Server.Tests;

/// <summary>
/// The require-human round trip through Envoy: 403 with the decision id, a human approves, the agent retries with
/// <c>x-pdp-approval</c> and is allowed exactly once, for exactly the approved action — across restarts too.
/// </summary>
public sealed class EnvoyApprovalTests : IAsyncLifetime
{
    private const string Body = """{ "hours": 4, "reason": "impossible travel" }""";

    private readonly string _policies = CreatePolicies();
    private readonly string _trail = Path.Combine(Directory.CreateTempSubdirectory("pdp-envoy-trail-").FullName, "audit.jsonl");
    private PdpTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_policies, recursive: true);
    }

    [Fact]
    public async Task Check_ApprovedRetry_AllowedOnceThenRefused()
    {
        var decisionId = await RequireHumanAsync("bob");
        await DisposeAsync(decisionId, Outcome.Approved);

        var first = await CheckAsync(Retry(decisionId, "bob"));
        var second = await CheckAsync(Retry(decisionId, "bob"));

        Assert.Equal((int)GrpcCode.OK, first.Status.Code);
        Assert.Equal(decisionId, OkHeader(first, "x-pdp-decision-id"));
        Assert.Equal("allow", OkHeader(first, "x-pdp-verdict"));
        var useId = OkHeader(first, "x-pdp-approval-use");
        Assert.True(Guid.TryParse(useId, out _));
        Assert.Contains("x-pdp-approval", first.OkResponse.HeadersToRemove);
        AssertRefused(second, "already used");
        var use = Assert.Single(Trail(_trail), r => r.Type == "approval_use");
        Assert.Equal(decisionId, use.Payload["decision_id"]!.GetValue<string>());
        Assert.Equal(useId, use.Payload["use_id"]!.GetValue<string>());
        Assert.Equal(use.Payload["approved_digest"]!.GetValue<string>(), use.Payload["action_digest"]!.GetValue<string>());
        Assert.Equal("bob", use.Payload["input"]!["action"]!["target"]!["id"]!.GetValue<string>());
        Assert.Equal(decisionId, Assert.Single(Refusals(_trail, "approval")).Payload["decision_id"]!.GetValue<string>());
        Assert.True(AuditVerifier.Verify(_trail).Ok);
    }

    public static TheoryData<string, string> RefusedRetries() => new()
    {
        { "rejected", "was rejected" },
        { "pending", "still waiting for a human" },
        { "mismatched target", "is not the action approved" },
        { "mismatched parameters", "is not the action approved" },
        { "mismatched non-JSON body", "body is not the body" },
        { "another agent", "was proposed by" },
        { "unknown id", "no decision" },
        { "not an id", "is not a decision id" },
        { "a decision without review", "had no review" },
    };

    [Theory]
    [MemberData(nameof(RefusedRetries))]
    public async Task Check_RetryNotBackedByItsApproval_Denied403AndRecorded(string what, string says)
    {
        var body = what == "mismatched non-JSON body" ? "disable bob, not a JSON object" : Body;
        var decisionId = await RequireHumanAsync("bob", body);
        switch (what)
        {
            case "rejected":
                await DisposeAsync(decisionId, Outcome.Rejected, "not this account");
                break;
            case "pending":
                break;
            case "a decision without review":
                decisionId = DecisionId(await CheckAsync(Request("GET", "/v1/echo/1/items")));
                break;
            default:
                await DisposeAsync(decisionId, Outcome.Approved);
                break;
        }

        var retry = what switch
        {
            "mismatched target" => Retry(decisionId, "eve"),
            "mismatched parameters" => Retry(decisionId, "bob", """{ "hours": 400, "reason": "impossible travel" }"""),
            "mismatched non-JSON body" => Retry(decisionId, "bob", "disable bob and everyone else"),
            "another agent" => Retry(decisionId, "bob", source: OtherAgent),
            "unknown id" => Retry("0193a5f0-0000-7000-8000-000000000000", "bob"),
            "not an id" => Retry("approved-by-me", "bob"),
            "a decision without review" => Request("GET", "/v1/echo/1/items", [("x-pdp-approval", decisionId)]),
            _ => Retry(decisionId, "bob", body),
        };

        var response = await CheckAsync(retry);

        AssertRefused(response, says);
        Assert.Single(Refusals(_trail, "approval"));
        Assert.DoesNotContain(Trail(_trail), r => r.Type == "approval_use");
    }

    [Fact]
    public async Task Check_RetryAfterReviewExpired_Denied()
    {
        var decisionId = await RequireHumanAsync("bob", ttl: "1s");
        await WaitForStatusAsync(decisionId, ReviewStatus.Expired);

        var response = await CheckAsync(Retry(decisionId, "bob"));

        AssertRefused(response, "expired unsettled");
    }

    [Fact]
    public async Task Check_RetryAfterApprovalValidity_Denied()
    {
        await _server.DisposeAsync();
        _server = await StartAsync(("Pdp:Envoy:ApprovalValiditySeconds", "1"));
        var decisionId = await RequireHumanAsync("bob");
        await DisposeAsync(decisionId, Outcome.Approved);
        await Task.Delay(TimeSpan.FromMilliseconds(1500)).WaitAsync(PdpTestServer.Timeout);

        var response = await CheckAsync(Retry(decisionId, "bob"));

        AssertRefused(response, "ApprovalValiditySeconds");
    }

    [Fact]
    public async Task Check_ModifiedApproval_OnlyTheModifiedActionIsAllowed()
    {
        var decisionId = await RequireHumanAsync("bob");
        var changed = new Struct { Fields = { ["hours"] = Value.ForNumber(1), ["reason"] = Value.ForString("impossible travel") } };
        await DisposeAsync(decisionId, Outcome.Modified, "one hour is enough", changed);

        var asProposed = await CheckAsync(Retry(decisionId, "bob"));
        var asModified = await CheckAsync(Retry(decisionId, "bob", """{"reason":"impossible travel","hours":1.0}"""));

        AssertRefused(asProposed, "is not the action approved");
        Assert.Equal((int)GrpcCode.OK, asModified.Status.Code);
    }

    [Fact]
    public async Task Check_ConcurrentRetries_ExactlyOneAllowed()
    {
        var decisionId = await RequireHumanAsync("bob");
        await DisposeAsync(decisionId, Outcome.Approved);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => CheckAsync(Retry(decisionId, "bob"))));

        Assert.Single(responses, r => r.Status.Code == (int)GrpcCode.OK);
        Assert.Equal(7, responses.Count(r => r.Status.Code == (int)GrpcCode.PermissionDenied));
    }

    [Fact]
    public async Task Check_RetryAfterRestart_UsedApprovalStaysUsedAndUnusedOneStaysUsable()
    {
        var used = await RequireHumanAsync("bob");
        var unused = await RequireHumanAsync("carol");
        await DisposeAsync(used, Outcome.Approved);
        await DisposeAsync(unused, Outcome.Approved);
        Assert.Equal((int)GrpcCode.OK, (await CheckAsync(Retry(used, "bob"))).Status.Code);

        await _server.DisposeAsync();
        _server = await StartAsync();

        var replayed = await CheckAsync(Retry(used, "bob"));
        var firstUse = await CheckAsync(Retry(unused, "carol"));
        var secondUse = await CheckAsync(Retry(unused, "carol"));

        AssertRefused(replayed, "already used");
        Assert.Equal((int)GrpcCode.OK, firstUse.Status.Code);
        AssertRefused(secondUse, "already used");
        Assert.True(AuditVerifier.Verify(_trail).Ok);
    }

    private Task<PdpTestServer> StartAsync(params (string Key, string Value)[] more) =>
        PdpTestServer.StartAsync(_policies, Settings([.. more, ("Pdp:Audit:Path", _trail)]));

    private async Task<string> RequireHumanAsync(string target, string body = Body, string? ttl = null)
    {
        var headers = ttl is null ? [] : new[] { ("x-review-ttl", ttl) };
        var response = await CheckAsync(Request("POST", $"/v1/users/{target}/disable", headers, body));
        Assert.Equal("require_human", DeniedHeader(response, "x-pdp-verdict"));
        return DeniedHeader(response, "x-pdp-decision-id")!;
    }

    private static CheckRequest Retry(string decisionId, string target, string body = Body, string source = EnvoyTestKit.Agent) =>
        Request("POST", $"/v1/users/{target}/disable", [("x-pdp-approval", decisionId)], body, source);

    private static void AssertRefused(CheckResponse response, string says)
    {
        Assert.Equal((int)GrpcCode.PermissionDenied, response.Status.Code);
        Assert.Equal(HttpCode.Forbidden, HttpStatus(response));
        var body = EnvoyTestKit.Body(response);
        Assert.Equal("deny", body["verdict"]!.GetValue<string>());
        var reason = body["reasons"]![0]!["message"]!.GetValue<string>();
        Assert.Contains(says, reason, StringComparison.Ordinal);
        Assert.True(Guid.TryParse(body["refusal_id"]!.GetValue<string>(), out _));
    }

    private Task<CheckResponse> CheckAsync(CheckRequest request) =>
        new Authorization.AuthorizationClient(_server.Channel).CheckAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

    private Task<RecordDispositionResponse> DisposeAsync(string decisionId, Outcome outcome, string justification = "", Struct? parameters = null) =>
        _server.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = decisionId, Reviewer = "rita", Outcome = outcome, Justification = justification, Parameters = parameters })
            .ResponseAsync.WaitAsync(PdpTestServer.Timeout);

    private async Task WaitForStatusAsync(string decisionId, ReviewStatus status)
    {
        var deadline = DateTime.UtcNow + PdpTestServer.Timeout;
        while ((await _server.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decisionId }).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).ReviewStatus != status)
        {
            Assert.True(DateTime.UtcNow < deadline, $"decision {decisionId} did not reach {status}");
            await Task.Delay(50).WaitAsync(PdpTestServer.Timeout);
        }
    }
}
