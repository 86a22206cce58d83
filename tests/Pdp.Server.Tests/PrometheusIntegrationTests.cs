using Pdp.Contracts.V1;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>A real Prometheus scrapes a real Pdp and computes the override ratio with the shipped recording rule.</summary>
public sealed class PrometheusIntegrationTests : IAsyncLifetime
{
    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private readonly string _rules = Path.Combine(Directory.CreateTempSubdirectory("pdp-rules-").FullName, "pdp-rules.yml");
    private PdpTestServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        // The shipped rules, evaluated every second instead of every 15 s so the test need not wait.
        var shipped = await File.ReadAllTextAsync(Path.Combine(PdpTestServer.RepositoryRoot(), "deploy", "prometheus", "pdp-rules.yml"));
        Assert.Contains("interval: 15s", shipped, StringComparison.Ordinal);
        await File.WriteAllTextAsync(_rules, shipped.Replace("interval: 15s", "interval: 1s", StringComparison.Ordinal));
        _server = await PdpTestServer.StartAsync(_policies);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_policies, recursive: true);
    }

    [Fact]
    public async Task OverrideRatio_SixApprovedThreeRejectedOneModified_PrometheusReadsPointFour()
    {
        await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{_server.AdminPort}", _rules);
        // The zero-valued series must be scraped once before anything moves, so increase() has a baseline.
        await prometheus.WaitUntilAsync(async () => (await prometheus.QueryAsync("pdp_dispositions_total{policy=\"review-test\",outcome=\"approved\"}")).Count == 1);

        var script = new (Outcome Outcome, string Justification)[10];
        for (var i = 0; i < script.Length; i++)
        {
            script[i] = i < 6 ? (Outcome.Approved, "") : i < 9 ? (Outcome.Rejected, "not this account") : (Outcome.Modified, "smaller scope");
        }

        foreach (var (outcome, justification) in script)
        {
            var decision = await _server.Client.DecideAsync(new DecideRequest
            {
                Agent = new Agent { Id = ReviewPolicies.Agent, OnBehalfOf = ReviewPolicies.Principal },
                Action = new Pdp.Contracts.V1.Action { Type = "review.human", Target = new Target { Kind = "account", Id = "t" } },
            }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
            var parameters = outcome == Outcome.Modified ? new Google.Protobuf.WellKnownTypes.Struct { Fields = { ["scope"] = Google.Protobuf.WellKnownTypes.Value.ForString("one") } } : null;
            await _server.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = decision.DecisionId, Reviewer = "rita", Outcome = outcome, Justification = justification, Parameters = parameters }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        }

        var overrides = script.Count(s => s.Outcome is Outcome.Rejected or Outcome.Modified or Outcome.Reversed);
        var expected = (double)overrides / script.Length;
        IReadOnlyList<double> ratio = [];
        await prometheus.WaitUntilAsync(async () =>
        {
            ratio = await prometheus.QueryAsync("pdp:override_ratio:5m{policy=\"review-test\"}");
            return ratio.Count == 1 && Math.Abs(ratio[0] - expected) < 1e-9;
        });

        Assert.Equal(0.4, expected, 12);
        Assert.Equal(expected, Assert.Single(ratio), 9);
        var agreement = await prometheus.QueryAsync("pdp:agreement_ratio:5m{policy=\"review-test\"}");
        Assert.Equal(1 - expected, Assert.Single(agreement), 9);
    }
}
