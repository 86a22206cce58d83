using Grpc.Core;
using Pdp.Contracts.V1;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>Each metric moves as it should after scripted decisions and dispositions, read back from a real /metrics.</summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private const string Policy = "review-test";
    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private PdpTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_policies, "fails.js"), """
            export const policy = { id: "fails-at-runtime", owner: "o", approver_group: "reviewers", applies_to: ["metrics.fail"] };
            export function decide(input) { return input.no.such.thing; }
            """);
        _server = await PdpTestServer.StartAsync(_policies, new Dictionary<string, string?>
        {
            ["Pdp:Review:ExpirySweepMilliseconds"] = "50",
            ["Pdp:Review:MinSeconds"] = "1",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_policies, recursive: true);
    }

    [Fact]
    public async Task Metrics_AfterScriptedDecisions_CountVerdictsErrorsLatencyAndCalls()
    {
        var before = await MetricsScrape.TakeAsync(_server.Admin);

        await DecideAsync("review.allow");
        await DecideAsync("review.allow");
        await DecideAsync("review.deny");
        await DecideAsync("review.human");
        await DecideAsync("metrics.fail");
        await DecideAsync("unknown.action");
        await Assert.ThrowsAsync<RpcException>(() => DecideAsync("BAD TYPE"));

        var after = await MetricsScrape.TakeAsync(_server.Admin);
        double Delta(string name, params (string, string)[] labels) => after.Value(name, labels) - before.Value(name, labels);
        Assert.Equal(2, Delta("pdp_decisions_total", ("policy", Policy), ("verdict", "allow")));
        Assert.Equal(1, Delta("pdp_decisions_total", ("policy", Policy), ("verdict", "deny")));
        Assert.Equal(1, Delta("pdp_decisions_total", ("policy", Policy), ("verdict", "require_human")));
        Assert.Equal(1, Delta("pdp_decisions_total", ("policy", "fails-at-runtime"), ("verdict", "deny")));
        Assert.Equal(1, Delta("pdp_decisions_total", ("policy", "default"), ("verdict", "deny")));
        Assert.Equal(1, Delta("pdp_policy_evaluation_errors_total", ("policy", "fails-at-runtime"), ("kind", "exception")));
        Assert.Equal(2, Delta("pdp_decisions_by_action_total", ("action", "review.*"), ("verdict", "allow")));
        Assert.Equal(1, Delta("pdp_decisions_by_action_total", ("action", "other"), ("verdict", "deny")));
        Assert.Equal(6, Delta("pdp_decision_duration_seconds_count"));
        Assert.True(Delta("pdp_decision_duration_seconds_sum") > 0);
        Assert.Equal(6, Delta("pdp_grpc_requests_total", ("method", "/pdp.v1.DecisionService/Decide"), ("code", "OK")));
        Assert.Equal(1, Delta("pdp_grpc_requests_total", ("method", "/pdp.v1.DecisionService/Decide"), ("code", "INVALID_ARGUMENT")));
        Assert.Equal(6, Delta("pdp_audit_records_total", ("type", "decision")));
        Assert.True(Delta("pdp_audit_fsyncs_total") >= 1);
        Assert.Equal(1, Delta("pdp_reviews_pending", ("policy", Policy)));
        Assert.Single(after.Named("pdp_policy_revision_info{"), k => after.Series[k] == 1);
    }

    [Fact]
    public async Task Metrics_AfterDispositions_CountOutcomesOverridesRubberStampsAndLatency()
    {
        var quick = await DecideAsync("review.human");
        var slow = await DecideAsync("review.human");
        var rejected = await DecideAsync("review.human");
        var modified = await DecideAsync("review.human");
        var reversed = await DecideAsync("review.allow");
        var expiring = await DecideAsync("review.human", ttl: "1s");
        var before = await MetricsScrape.TakeAsync(_server.Admin);

        await DisposeAsync(quick.DecisionId, "rita", Outcome.Approved);
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await DisposeAsync(slow.DecisionId, "sam", Outcome.Approved);
        await DisposeAsync(rejected.DecisionId, "tess", Outcome.Rejected, "wrong target");
        await DisposeAsync(modified.DecisionId, "rita", Outcome.Modified, "narrower", new Google.Protobuf.WellKnownTypes.Struct { Fields = { ["scope"] = Google.Protobuf.WellKnownTypes.Value.ForString("one") } });
        await DisposeAsync(reversed.DecisionId, "sam", Outcome.Reversed, "undone");
        await WaitUntilAsync(async () => (await _server.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = expiring.DecisionId })).ReviewStatus == ReviewStatus.Expired);

        var after = await MetricsScrape.TakeAsync(_server.Admin);
        double Delta(string name, params (string, string)[] labels) => after.Value(name, labels) - before.Value(name, labels);
        Assert.Equal(2, Delta("pdp_dispositions_total", ("policy", Policy), ("outcome", "approved")));
        Assert.Equal(1, Delta("pdp_dispositions_total", ("policy", Policy), ("outcome", "rejected")));
        Assert.Equal(1, Delta("pdp_dispositions_total", ("policy", Policy), ("outcome", "modified")));
        Assert.Equal(1, Delta("pdp_dispositions_total", ("policy", Policy), ("outcome", "reversed")));
        Assert.Equal(1, Delta("pdp_dispositions_total", ("policy", Policy), ("outcome", "expired")));
        Assert.Equal(1, Delta("pdp_overrides_total", ("policy", Policy), ("kind", "rejected")));
        Assert.Equal(1, Delta("pdp_overrides_total", ("policy", Policy), ("kind", "modified")));
        Assert.Equal(1, Delta("pdp_overrides_total", ("policy", Policy), ("kind", "reversed")));
        Assert.Equal(1, Delta("pdp_rubber_stamp_approvals_total", ("policy", Policy)));
        Assert.Equal(1, Delta("pdp_reviews_expired_total", ("policy", Policy)));
        Assert.Equal(5, Delta("pdp_review_duration_seconds_count", ("policy", Policy)));
        Assert.Equal(2, Delta("pdp_reviewer_dispositions_total", ("reviewer", "rita"), ("outcome", "approved")) + Delta("pdp_reviewer_dispositions_total", ("reviewer", "sam"), ("outcome", "approved")));
        Assert.Equal(-5, Delta("pdp_reviews_pending", ("policy", Policy)));
    }

    [Fact]
    public async Task Metrics_RandomActionTypesAndReviewers_SeriesCountStaysBounded()
    {
        var random = new Random(20261126);
        string Word() => string.Concat(Enumerable.Range(0, 8).Select(_ => (char)('a' + random.Next(26))));
        var sent = new HashSet<string>(StringComparer.Ordinal);

        async Task SendAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var type = $"{Word()}.{Word()}";
                var reviewer = Word();
                sent.Add(type);
                sent.Add(reviewer);
                var decision = await DecideAsync(i % 2 == 0 ? type : "review.human");
                await Assert.ThrowsAsync<RpcException>(() => DisposeAsync(decision.DecisionId, reviewer, Outcome.Approved));
            }
        }

        await SendAsync(100);
        var early = await MetricsScrape.TakeAsync(_server.Admin);
        await SendAsync(1000);
        var late = await MetricsScrape.TakeAsync(_server.Admin);

        Assert.Equal(early.Series.Keys.Count(k => k.StartsWith("pdp_", StringComparison.Ordinal)), late.Series.Keys.Count(k => k.StartsWith("pdp_", StringComparison.Ordinal)));
        Assert.DoesNotContain(late.Series.Keys, k => sent.Any(word => k.Contains($"\"{word}\"", StringComparison.Ordinal)));
    }

    private async Task<DecideResponse> DecideAsync(string type, string? ttl = null)
    {
        var request = new DecideRequest
        {
            Agent = new Agent { Id = ReviewPolicies.Agent, OnBehalfOf = ReviewPolicies.Principal },
            Action = new Pdp.Contracts.V1.Action { Type = type, Target = new Target { Kind = "account", Id = "t" }, Parameters = new Google.Protobuf.WellKnownTypes.Struct() },
        };
        if (ttl is not null)
        {
            request.Action.Parameters.Fields["ttl"] = Google.Protobuf.WellKnownTypes.Value.ForString(ttl);
        }

        return await _server.Client.DecideAsync(request).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
    }

    private Task<RecordDispositionResponse> DisposeAsync(string id, string reviewer, Outcome outcome, string justification = "", Google.Protobuf.WellKnownTypes.Struct? parameters = null) =>
        _server.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = id, Reviewer = reviewer, Outcome = outcome, Justification = justification, Parameters = parameters }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + PdpTestServer.Timeout;
        while (!await condition().WaitAsync(PdpTestServer.Timeout))
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
