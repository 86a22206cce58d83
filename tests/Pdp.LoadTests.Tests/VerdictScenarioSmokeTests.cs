using Pdp.LoadGen;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.LoadTests.Tests;

/// <summary>
/// The review-plane scenarios against a real server (local store): <c>decided</c> must only send what is answered
/// allow or deny, <c>human</c> only what is sent to a human. A wrong verdict counts as an error, so zero errors is the check.
/// </summary>
public sealed class VerdictScenarioSmokeTests
{
    [Fact]
    public async Task DecidedAndHuman_ClosedLoop_GetOnlyTheirVerdicts()
    {
        var root = PdpProcess.RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("pdp-loadgen-verdicts-");
        await using var server = await PdpProcess.StartAsync(Path.Combine(root, "policies"), Path.Combine(work.FullName, "audit.jsonl"));

        var options = LoadGenOptions.Parse(
        [
            "--target", server.GrpcAddress.ToString(), "--scenario", "decided,human", "--mode", "closed", "--concurrency", "4",
            "--duration", "1", "--warmup", "0.3", "--policies", Path.Combine(root, "policies"), "--out", Path.Combine(work.FullName, "reports"), "--quiet",
        ]);
        var report = await LoadGenerator.RunAsync(options, "smoke-verdicts", TextWriter.Null, TestContext.Current.CancellationToken);

        Assert.Equal(["decided", "human"], report.Scenarios.Select(s => s.Scenario));
        Assert.Equal(0, report.TotalErrors);
        Assert.All(report.Scenarios, s => Assert.True(s.Unit.Count > 0, $"{s.Scenario} made no calls"));
        // The classified pool is reported, with the require-human candidates it dropped.
        Assert.Matches("pool [1-9][0-9]* of [0-9]+ candidates .* [1-9][0-9]* require_human dropped", report.Scenarios[0].Description);
    }
}
