using System.Collections.Concurrent;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using Pdp.Contracts.V1;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>Decide end to end: the real server on loopback, the shipped policies, a real gRPC client.</summary>
public sealed class DecideTests : IAsyncLifetime
{
    private PdpTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await PdpTestServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("iam.account.disable", Verdict.Allow, "iam-account-changes", "iam-platform-team")]
    [InlineData("iam.account.delete", Verdict.Deny, "iam-account-changes", "iam-platform-team")]
    [InlineData("iam.account.enable", Verdict.RequireHuman, "iam-account-changes", "iam-platform-team")]
    [InlineData("telemetry.unknown.thing", Verdict.Deny, "catch-all-guardrails", "ai-governance-team")]
    public async Task Decide_ShippedPolicies_AnswersWithVerdictOwnerAndRevision(string actionType, Verdict verdict, string policyId, string owner)
    {
        var response = await _server.Client.DecideAsync(PdpTestServer.Request(actionType)).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

        Assert.Equal(verdict, response.Verdict);
        Assert.Equal(owner, response.ControlOwner);
        Assert.Contains(response.Reasons, r => r.PolicyId == policyId && r.Message.Length > 0);
        var ready = await _server.Admin.GetStringAsync(new Uri("/readyz", UriKind.Relative)).WaitAsync(PdpTestServer.Timeout);
        Assert.Contains(response.PolicyRevision, ready, StringComparison.Ordinal);
        Assert.StartsWith("sha256:", response.PolicyRevision, StringComparison.Ordinal);
        Assert.Equal(verdict == Verdict.RequireHuman, response.Review is not null);
        if (verdict == Verdict.RequireHuman)
        {
            Assert.Equal("iam-approvers", response.Review!.ApproverGroup);
            Assert.True(response.Review.ExpiresAt.ToDateTimeOffset() > DateTimeOffset.UtcNow);
            Assert.True(response.Review.MinApprovals >= 1);
        }

        if (verdict == Verdict.Allow)
        {
            Assert.Equal("15m", response.Obligations["max_credential_ttl"]);
        }
    }

    [Fact]
    public async Task Decide_SuccessiveCalls_DecisionIdsAreUniqueAndTimeOrdered()
    {
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var response = await _server.Client.DecideAsync(PdpTestServer.Request("iam.account.disable")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
            ids.Add(response.DecisionId);
            await Task.Delay(2);
        }

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(7, Guid.Parse(id).Version));
        Assert.Equal(ids.OrderBy(id => id, StringComparer.Ordinal), ids);
    }

    public static TheoryData<string, string> BadRequests() => new()
    {
        { "no-action", "action" },
        { "empty-type", "action.type" },
        { "bad-type", "action.type" },
        { "confidence", "action.confidence" },
        { "risk", "action.risk_score" },
        { "nan", "context.score" },
        { "deep", "context.n.n.n" },
        { "long-request-id", "request_id" },
        { "long-agent", "agent.id" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Decide_BadInput_InvalidArgumentNamingTheField(string kind, string field)
    {
        var request = PdpTestServer.Request("iam.account.disable");
        switch (kind)
        {
            case "no-action": request.Action = null; break;
            case "empty-type": request.Action.Type = string.Empty; break;
            case "bad-type": request.Action.Type = "IAM.Account!"; break;
            case "confidence": request.Action.Confidence = 1.5; break;
            case "risk": request.Action.RiskScore = -1; break;
            case "nan": request.Context.Fields["score"] = Value.ForNumber(double.NaN); break;
            case "deep": request.Context.Fields["n"] = Nest(25); break;
            case "long-request-id": request.RequestId = new string('r', 200); break;
            case "long-agent": request.Agent.Id = new string('a', 300); break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => _server.Client.DecideAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(field, error.Status.Detail, StringComparison.Ordinal);

        // The server keeps serving after every refusal.
        var ok = await _server.Client.DecideAsync(PdpTestServer.Request("iam.account.disable")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(Verdict.Allow, ok.Verdict);
    }

    [Fact]
    public async Task Decide_MessageAboveLimit_ResourceExhausted()
    {
        var request = PdpTestServer.Request("iam.account.disable");
        request.Action.Rationale = "x";
        request.Context.Fields["blob"] = Value.ForString(new string('b', 2 * 1024 * 1024));

        var error = await Assert.ThrowsAsync<RpcException>(() => _server.Client.DecideAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Decide_SameRequestIdTwice_ReturnsTheSameDecision()
    {
        var request = PdpTestServer.Request("iam.account.disable");
        request.RequestId = "retry-" + Guid.NewGuid();

        var first = await _server.Client.DecideAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        var second = await _server.Client.DecideAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        var other = await _server.Client.DecideAsync(PdpTestServer.Request("iam.account.disable")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

        Assert.Equal(first, second);
        Assert.NotEqual(first.DecisionId, other.DecisionId);
    }

    [Fact]
    public async Task Decide_SameRequestIdConcurrently_OneDecisionForAll()
    {
        var request = PdpTestServer.Request("iam.account.enable");
        request.RequestId = "burst-" + Guid.NewGuid();

        var responses = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => _server.Client.DecideAsync(request).ResponseAsync)).WaitAsync(PdpTestServer.Timeout);

        Assert.Single(responses.Select(r => r.DecisionId).Distinct());
    }

    [Fact]
    public async Task Decide_SameRequestIdDifferentRequest_AlreadyExists()
    {
        var request = PdpTestServer.Request("iam.account.disable");
        request.RequestId = "reused-" + Guid.NewGuid();
        await _server.Client.DecideAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        request.Action.Target.Id = "someone-else@example.com";

        var error = await Assert.ThrowsAsync<RpcException>(() => _server.Client.DecideAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Contains("request_id", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decide_ManyConcurrentCallers_EachGetsTheRightVerdict()
    {
        var cases = new (string Type, Verdict Expected)[]
        {
            ("iam.account.disable", Verdict.Allow),
            ("iam.account.delete", Verdict.Deny),
            ("iam.account.enable", Verdict.RequireHuman),
            ("no.such.action", Verdict.Deny),
        };
        var wrong = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
        {
            for (var i = 0; i < 25; i++)
            {
                var (type, expected) = cases[(worker + i) % cases.Length];
                var response = await _server.Client.DecideAsync(PdpTestServer.Request(type, targetId: $"user-{worker}-{i}@example.com")).ResponseAsync;
                if (response.Verdict != expected)
                {
                    wrong.Add($"{type}: {response.Verdict}");
                }
            }
        })).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(wrong);
    }

    [Fact]
    public async Task Health_AfterStart_ServingForServerAndDecisionService()
    {
        var overall = await _server.Health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        var decisions = await _server.Health.CheckAsync(new HealthCheckRequest { Service = "pdp.v1.DecisionService" }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, overall.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, decisions.Status);
    }

    [Fact]
    public async Task Reflection_ListServices_IncludesDecisionService()
    {
        var client = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(_server.Channel);
        using var call = client.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty }).WaitAsync(PdpTestServer.Timeout);
        await call.RequestStream.CompleteAsync().WaitAsync(PdpTestServer.Timeout);
        Assert.True(await call.ResponseStream.MoveNext().WaitAsync(PdpTestServer.Timeout));

        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToArray();

        Assert.Contains("pdp.v1.DecisionService", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }

    [Theory]
    [InlineData("/healthz", 200, "ok")]
    [InlineData("/readyz", 200, "ready sha256:")]
    public async Task Admin_Endpoints_Answer(string path, int status, string body)
    {
        using var response = await _server.Admin.GetAsync(new Uri(path, UriKind.Relative)).WaitAsync(PdpTestServer.Timeout);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(body, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static Value Nest(int depth)
    {
        var value = Value.ForString("leaf");
        for (var i = 0; i < depth; i++)
        {
            var s = new Struct();
            s.Fields["n"] = value;
            value = Value.ForStruct(s);
        }

        return value;
    }
}
