using System.Text.Json.Nodes;
using Pdp.LoadGen;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.LoadTests.Tests;

/// <summary>
/// A few seconds of every scenario against a real server process: the generator must finish by itself with zero
/// errors and a sane report. Small numbers on purpose; the figures that matter come from docs/benchmarks.md's runs.
/// </summary>
public sealed class LoadGenSmokeTests
{
    [Fact]
    public async Task ClosedAndOpenLoopRuns_CompleteWithoutErrors_AndWriteSaneReports()
    {
        var root = PdpProcess.RepositoryRoot();
        var work = Directory.CreateTempSubdirectory("pdp-loadgen-smoke-");
        await using var server = await PdpProcess.StartAsync(Path.Combine(root, "policies"), Path.Combine(work.FullName, "audit.jsonl"));
        var output = Path.Combine(work.FullName, "reports");

        var closed = LoadGenOptions.Parse(
        [
            "--target", server.GrpcAddress.ToString(), "--scenario", "mixed,review", "--compare", "baseline", "--mode", "closed",
            "--concurrency", "4", "--duration", "1", "--warmup", "0.3", "--policies", Path.Combine(root, "policies"),
            "--out", output, "--server-pid", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--quiet",
        ]);
        var report = await LoadGenerator.RunAsync(closed, "smoke", TextWriter.Null, TestContext.Current.CancellationToken);

        Assert.Equal(["baseline", "mixed", "review"], report.Scenarios.Select(s => s.Scenario));
        Assert.Equal(0, report.TotalErrors);
        foreach (var scenario in report.Scenarios)
        {
            Assert.False(scenario.Aborted, scenario.AbortReason);
            foreach (var op in scenario.Operations)
            {
                Assert.True(op.Count > 0, $"{scenario.Scenario}/{op.Name} made no calls");
                Assert.True(op.ThroughputPerSecond > 0);
                Assert.True(op.P50Ms > 0 && op.P50Ms <= op.P90Ms && op.P90Ms <= op.P99Ms && op.P99Ms <= op.P999Ms && op.P999Ms <= op.MaxMs, $"{scenario.Scenario}/{op.Name} percentiles out of order");
            }
        }

        // The review flow settled reviews: dispositions were sent and accepted.
        Assert.Contains(report.Scenarios.Single(s => s.Scenario == "review").Operations, o => o.Name == "RecordDisposition" && o.Count > 0);
        Assert.Equal(2, report.Comparisons.Count);
        Assert.All(report.Comparisons, c => Assert.InRange(c.ThroughputRatio, 0.001, 100));
        Assert.NotNull(report.Scenarios[1].ServerMaxRssMb);

        var files = report.Write(output);
        var json = JsonNode.Parse(await File.ReadAllTextAsync(files[0], TestContext.Current.CancellationToken))!;
        Assert.Equal(3, json["scenarios"]!.AsArray().Count);
        Assert.Equal(0, json["total_errors"]!.GetValue<long>());
        var markdown = await File.ReadAllTextAsync(files[1], TestContext.Current.CancellationToken);
        Assert.Contains("| mixed | closed | 4 workers | Decide |", markdown, StringComparison.Ordinal);
        Assert.Contains("mixed / baseline", report.ToTable(), StringComparison.Ordinal);

        // Open loop at a modest fixed rate: every scheduled call is made, none fails.
        var open = LoadGenOptions.Parse(
        [
            "--target", server.GrpcAddress.ToString(), "--scenario", "mixed", "--mode", "open", "--rate", "100",
            "--duration", "0.5", "--warmup", "0.2", "--policies", Path.Combine(root, "policies"), "--out", output, "--quiet",
        ]);
        var openReport = await LoadGenerator.RunAsync(open, "smoke-open", TextWriter.Null, TestContext.Current.CancellationToken);
        var mixed = Assert.Single(openReport.Scenarios);
        Assert.Equal(0, openReport.TotalErrors);
        Assert.Equal(50, mixed.Unit.Count);
        Assert.NotNull(mixed.ServiceTime);
        Assert.True(mixed.Unit.P99Ms >= mixed.ServiceTime!.P50Ms, "latency from the intended start is at least the service time");
    }

    [Theory]
    [InlineData("http://10.0.0.1:50051")]
    [InlineData("http://192.168.1.10:50051")]
    [InlineData("http://example.com:50051")]
    [InlineData("http://[2001:db8::1]:50051")]
    [InlineData("http://0.0.0.0:50051")]
    public void NonLoopbackTargets_AreRefused(string target)
    {
        var error = Assert.Throws<ArgumentException>(() => LoadGenOptions.Parse(["--target", target]));
        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:50051")]
    [InlineData("http://127.9.8.7:1")]
    [InlineData("http://localhost:50051")]
    [InlineData("http://[::1]:50051")]
    public void LoopbackTargets_AreAccepted(string target) => Assert.True(LoadGenOptions.IsLoopback(LoadGenOptions.Parse(["--target", target]).Target));

    [Theory]
    [InlineData("--duration", "0")]
    [InlineData("--duration", "100000")]
    [InlineData("--concurrency", "0")]
    [InlineData("--rate", "-1")]
    [InlineData("--mode", "sideways")]
    [InlineData("--bogus", "1")]
    public void BadOptions_AreRefusedNamingTheOption(string name, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => LoadGenOptions.Parse([name, value]));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }
}
