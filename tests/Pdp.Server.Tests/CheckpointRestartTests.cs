using System.Collections.Concurrent;
using Grpc.Core;
using Pdp.Audit;
using Pdp.Audit.Verification;
using Pdp.Contracts.V1;
using Pdp.Review.Generation;
using Pdp.Server.Auditing;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// Start-up from a checkpoint: only the records after it are verified and replayed, nothing acknowledged is lost across
/// a kill -9 while checkpoints are written, and a trail with something missing is refused with exit code 1.
/// </summary>
public sealed class CheckpointRestartTests : IDisposable
{
    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private readonly string _trail = Path.Combine(Directory.CreateTempSubdirectory("pdp-checkpoint-").FullName, "audit.jsonl");

    public void Dispose()
    {
        Directory.Delete(_policies, recursive: true);
        Directory.Delete(Path.GetDirectoryName(_trail)!, recursive: true);
    }

    private Dictionary<string, string?> Settings => new() { ["Pdp:Audit:Path"] = _trail };

    [Fact]
    public async Task Restart_AfterGracefulStop_ReplaysOnlyTheCheckpointAndKeepsReviews()
    {
        RestartScenario scenario;
        await using (var first = await PdpTestServer.StartAsync(_policies, Settings))
        {
            scenario = await RestartScenario.RecordAsync(first);
        }

        await using var second = await PdpTestServer.StartAsync(_policies, Settings);

        var recovery = Host(second).Trail.Recovery;
        var checkpoint = Assert.IsType<CheckpointRecovery>(recovery.Checkpoint);
        Assert.Equal(1, checkpoint.RecordsAfterAnchor);
        Assert.Equal(1, recovery.RecordsRead);
        Assert.Equal(ReviewStatus.Pending, (await second.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = scenario.Pending }).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).ReviewStatus);
        Assert.Equal(ReviewStatus.Rejected, (await second.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = scenario.Settled }).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).ReviewStatus);
        Assert.Equal(scenario.Retried, (await second.Client.DecideAsync(scenario.Retry).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).DecisionId);
        var approved = await second.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = scenario.Pending, Reviewer = "sam", Outcome = Outcome.Approved }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(ReviewStatus.Approved, approved.Decision.ReviewStatus);
    }

    [Fact]
    public async Task Restart_FromCheckpointWithAnEscalatedReview_KeepsTheEscalationAndTheEscalationGroupMayDecide()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Pdp:Review:EscalateAt"] = "0.1", ["Pdp:Review:ExpirySweepMilliseconds"] = "50" };
        DecisionRecord escalated;
        await using (var first = await PdpTestServer.StartAsync(_policies, settings))
        {
            var decision = await first.Client.DecideAsync(ReviewPolicies.Request("review.human", ttl: "30s", escalateTo: ReviewPolicies.EscalationGroup)).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
            var deadline = DateTime.UtcNow + PdpTestServer.Timeout;
            do
            {
                Assert.True(DateTime.UtcNow < deadline, "the review did not escalate");
                await Task.Delay(50);
                escalated = await first.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = decision.DecisionId }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
            }
            while (escalated.EscalatedAt is null);
        }

        await using var second = await PdpTestServer.StartAsync(_policies, settings);

        var checkpoint = Assert.IsType<CheckpointRecovery>(Host(second).Trail.Recovery.Checkpoint);
        Assert.Equal(1, checkpoint.RecordsAfterAnchor);
        var restored = await second.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = escalated.DecisionId }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(escalated.EscalatedAt, restored.EscalatedAt);
        Assert.Equal(ReviewPolicies.EscalationGroup, restored.EscalationGroup);
        var approved = await second.Client.RecordDispositionAsync(new RecordDispositionRequest { DecisionId = escalated.DecisionId, Reviewer = ReviewPolicies.Lead, Outcome = Outcome.Approved }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(ReviewStatus.Approved, approved.Decision.ReviewStatus);
        Assert.Single(AuditTrailReader.Read(_trail), r => r.Type == "escalation");
    }

    [Theory]
    [InlineData(2_000)]
    [InlineData(20_000)]
    public async Task Start_GeneratedTrailOfGrowingSize_ReplaysOnlyTheRecordsAfterTheCheckpoint(int records)
    {
        var generator = new TrailGenerator(_trail, records, maxFileBytes: 1024 * 1024, checkpointEvery: 1_000);
        var trail = await generator.WriteAsync(TextWriter.Null, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2));
        await trail.DisposeAsync().AsTask().WaitAsync(PdpTestServer.Timeout);

        await using var server = await PdpTestServer.StartAsync(_policies, Settings);

        // The same two records whatever the history: the final checkpoint's anchor is the last generated record.
        var checkpoint = Host(server).Trail.Recovery.Checkpoint!;
        Assert.Equal(1, checkpoint.RecordsAfterAnchor);
        Assert.InRange(checkpoint.StateEntries, 1, 20_000 + 2_000);
        var lastPending = TrailGenerator.Id(records / 100 * 100);
        var view = await server.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = lastPending }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(ReviewStatus.Pending, view.ReviewStatus);
    }

    [Fact]
    public async Task KillNine_WhileCheckpointsAreWritten_NextStartUsesTheNewestWholeCheckpointAndLosesNothing()
    {
        var acknowledged = new ConcurrentBag<string>();
        for (var round = 0; round < 2; round++)
        {
            // A checkpoint after every record: one is nearly always being written when the kill lands.
            await using var server = await PdpProcess.StartAsync(_policies, _trail, "--Pdp:Audit:Checkpoint:EveryRecords=1", "--Pdp:Audit:MaxFileBytes=65536");
            using var stop = new CancellationTokenSource();
            var clients = DecisionLoad.Start(server, 8, acknowledged, stop.Token);

            var target = (round + 1) * 200;
            while (acknowledged.Count < target)
            {
                await Task.Delay(10).WaitAsync(PdpTestServer.Timeout);
            }

            await server.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(clients).WaitAsync(PdpTestServer.Timeout);
        }

        await using var restarted = await PdpProcess.StartAsync(_policies, _trail);
        var verification = AuditVerifier.Verify(_trail);
        Assert.True(verification.Ok, verification.ToString());
        Assert.NotNull(verification.CheckpointSeq);
        var recorded = AuditTrailReader.Read(_trail).Where(r => r.Type == "decision").Select(r => r.Payload["decision_id"]!.GetValue<string>()).ToHashSet();
        Assert.DoesNotContain(acknowledged, id => !recorded.Contains(id));
        foreach (var id in acknowledged.Take(30))
        {
            var record = await restarted.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = id }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
            Assert.Equal(id, record.DecisionId);
        }
    }

    [Theory]
    [InlineData("active", "is missing while rotated segments")]
    [InlineData("middle", "is missing (between")]
    [InlineData("state", "does not match the checkpoint")]
    [InlineData("truncated", "the checkpoint at seq")]
    public async Task Process_TrailWithSomethingRemoved_ExitsOneWithOneMessageNamingIt(string removed, string message)
    {
        var settings = Settings;
        settings["Pdp:Audit:MaxFileBytes"] = "4096";
        await using (var first = await PdpTestServer.StartAsync(_policies, settings))
        {
            for (var i = 0; i < 40; i++)
            {
                await first.Client.DecideAsync(ReviewPolicies.Request("review.allow")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
            }
        }

        var dir = Path.GetDirectoryName(_trail)!;
        var rotated = Directory.GetFiles(dir, "audit.0*.jsonl").Order(StringComparer.Ordinal).ToArray();
        Assert.True(rotated.Length >= 3, $"{rotated.Length} rotated segments");
        var named = removed switch
        {
            "active" => _trail,
            "middle" => rotated[1],
            "state" => Directory.GetFiles(dir, "audit.state.*.jsonl").Max(StringComparer.Ordinal)!,
            _ => _trail,
        };
        switch (removed)
        {
            case "state":
                await File.AppendAllTextAsync(named, "{}\n");
                break;
            case "truncated":
                // The active file cut to nothing: the final checkpoint record is gone (its anchor may be too).
                await File.WriteAllBytesAsync(_trail, []);
                break;
            default:
                File.Delete(named);
                break;
        }

        var (exit, stderr) = await RunServerAsync();

        Assert.Equal(1, exit);
        Assert.StartsWith("pdp: refusing to start: ", stderr, StringComparison.Ordinal);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
        if (removed != "truncated")
        {
            Assert.Contains(named, stderr, StringComparison.Ordinal);
        }

        Assert.False(AuditVerifier.Verify(_trail).Ok);
    }

    private async Task<(int Exit, string Stderr)> RunServerAsync()
    {
        // A timeout means it started instead of refusing; ProcessRun does not leave it running.
        var result = await ProcessRun.ServerAsync(PdpTestServer.Timeout, $"--Pdp:PolicyDir={_policies}", $"--Pdp:Audit:Path={_trail}", "--Pdp:GrpcPort=0", "--Pdp:AdminPort=0", "--Pdp:AuthZen:Port=0", "--Logging:LogLevel:Default=Warning");
        return (result.ExitCode, result.Stderr.Trim());
    }

    private static AuditTrailHost Host(PdpTestServer server) => (AuditTrailHost)server.Services.GetService(typeof(AuditTrailHost))!;

}
