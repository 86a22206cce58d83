using System.Collections.Concurrent;
using Grpc.Core;
using Pdp.Audit;
using Pdp.Audit.Verification;
using Pdp.Contracts.V1;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>What survives a restart, a torn write and a kill -9: everything acknowledged.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private readonly string _trail = Path.Combine(Directory.CreateTempSubdirectory("pdp-restart-").FullName, "audit.jsonl");

    public void Dispose()
    {
        Directory.Delete(_policies, recursive: true);
        Directory.Delete(Path.GetDirectoryName(_trail)!, recursive: true);
    }

    private Dictionary<string, string?> Settings => new() { ["Pdp:Audit:Path"] = _trail };

    [Fact]
    public async Task Restart_PendingAndSettledReviews_SurviveAndPendingCanStillBeSettled()
    {
        RestartScenario scenario;
        await using (var first = await PdpTestServer.StartAsync(_policies, Settings))
        {
            scenario = await RestartScenario.RecordAsync(first);
        }

        await using var second = await PdpTestServer.StartAsync(_policies, Settings);

        var pendingRecord = await second.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = scenario.Pending }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        var settledRecord = await second.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = scenario.Settled }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        var again = await second.Client.DecideAsync(scenario.Retry).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(ReviewStatus.Pending, pendingRecord.ReviewStatus);
        Assert.Equal(ReviewStatus.Rejected, settledRecord.ReviewStatus);
        Assert.True(settledRecord.Overridden);
        Assert.Equal("rita", Assert.Single(settledRecord.Dispositions).Reviewer);
        Assert.Equal(scenario.Retried, again.DecisionId);

        var approved = await second.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = scenario.Pending, Reviewer = "sam", Outcome = Outcome.Approved }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        var late = await Assert.ThrowsAsync<RpcException>(() => second.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = scenario.Settled, Reviewer = "sam", Outcome = Outcome.Approved }).ResponseAsync.WaitAsync(PdpTestServer.Timeout));
        Assert.Equal(ReviewStatus.Approved, approved.Decision.ReviewStatus);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.True(AuditVerifier.Verify(_trail).Ok);
    }

    [Fact]
    public async Task Start_TrailWithTornLastLine_CutsItReportsItAndContinuesTheChain()
    {
        string decided;
        await using (var first = await PdpTestServer.StartAsync(_policies, Settings))
        {
            decided = (await first.Client.DecideAsync(ReviewPolicies.Request("review.human")).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).DecisionId;
        }

        var intact = new FileInfo(_trail).Length;
        const string tornWrite = "{\"seq\":99,\"time\":\"2026-";
        await File.AppendAllTextAsync(_trail, tornWrite);

        await using var second = await PdpTestServer.StartAsync(_policies, Settings);
        var host = (Pdp.Server.Auditing.AuditTrailHost)second.Services.GetService(typeof(Pdp.Server.Auditing.AuditTrailHost))!;

        var torn = host.Trail.Recovery.TruncatedTail;
        Assert.NotNull(torn);
        Assert.Equal(intact, torn.Offset);
        Assert.Equal(tornWrite.Length, torn.BytesCut);
        var record = await second.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decided }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(ReviewStatus.Pending, record.ReviewStatus);
        await second.Client.DecideAsync(ReviewPolicies.Request("review.allow")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.True(AuditVerifier.Verify(_trail).Ok);
        Assert.DoesNotContain("\"seq\":99", await File.ReadAllTextAsync(_trail), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KillNine_DuringConcurrentDecisions_EveryAcknowledgedDecisionIsInAVerifiedTrail()
    {
        var acknowledged = new ConcurrentBag<string>();
        await using (var server = await PdpProcess.StartAsync(_policies, _trail))
        {
            using var stop = new CancellationTokenSource();
            var clients = DecisionLoad.Start(server, 12, acknowledged, stop.Token);

            while (acknowledged.Count < 300)
            {
                await Task.Delay(20).WaitAsync(PdpTestServer.Timeout);
            }

            await server.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(clients).WaitAsync(PdpTestServer.Timeout);
        }

        // The restarted server repairs any torn tail, verifies the chain and serves every acknowledged decision.
        await using var restarted = await PdpProcess.StartAsync(_policies, _trail);
        var verification = AuditVerifier.Verify(_trail);
        Assert.True(verification.Ok, $"{verification.File}:{verification.Line} {verification.Problem}");
        var recorded = AuditTrailReader.Read(_trail).Where(r => r.Type == "decision").Select(r => r.Payload["decision_id"]!.GetValue<string>()).ToHashSet();
        var missing = acknowledged.Where(id => !recorded.Contains(id)).ToArray();
        Assert.Empty(missing);
        foreach (var id in acknowledged.Take(20))
        {
            var record = await restarted.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = id }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
            Assert.Equal(id, record.DecisionId);
        }
    }

}
