using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Pdp.Audit;
using Pdp.Audit.Verification;
using Pdp.Contracts.V1;
using Pdp.TestSupport;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>Overload, crashes, graceful stop and a full disk: the server keeps answering, fails closed and loses nothing acknowledged.</summary>
[Trait("Category", "Slow")]
public sealed class ReliabilityTests : IDisposable
{
    private readonly string _policies = ReviewPolicies.CreateDirectory();
    private readonly string _work = Directory.CreateTempSubdirectory("pdp-reliability-").FullName;

    public ReliabilityTests()
    {
        // A policy that costs real CPU per decision, so a two-core machine can be overloaded on purpose.
        File.WriteAllText(Path.Combine(_policies, "slow.js"), """
            export const policy = { id: "slow-work", owner: "o", approver_group: "reviewers", applies_to: ["slow.*"] };
            export function decide(input) {
              let sum = 0;
              for (let i = 0; i < input.action.parameters.iterations; i++) { sum += i % 7; }
              return { verdict: "allow", reason: "worked " + sum };
            }
            """);
    }

    public void Dispose()
    {
        Directory.Delete(_policies, recursive: true);
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task Overload_TwiceTheSustainableLoad_RefusesFastAndAdmittedCallsStayBounded()
    {
        const int concurrency = 2, queue = 4, queueWaitMs = 100;
        await using var server = await PdpTestServer.StartAsync(_policies, new Dictionary<string, string?>
        {
            ["Pdp:Overload:MaxConcurrentDecisions"] = $"{concurrency}",
            ["Pdp:Overload:MaxQueuedDecisions"] = $"{queue}",
            ["Pdp:Overload:MaxQueueWaitMilliseconds"] = $"{queueWaitMs}",
            ["Pdp:Sandbox:MaxStatements"] = "100000000",
            ["Pdp:Sandbox:TimeoutMilliseconds"] = "5000",
            ["Pdp:Sandbox:MemoryLimitBytes"] = "1073741824",
        });

        // The service time of one decision, measured here, sets what "sustainable" means on this machine.
        var single = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await server.Client.DecideAsync(Slow()).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
            single.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var service = single.Order().ElementAt(single.Count / 2);
        var admitted = new ConcurrentBag<double>();
        var refused = new ConcurrentBag<double>();
        var other = new ConcurrentBag<string>();

        // Twice the callers the server can serve at once, each sending back to back for three seconds.
        var until = DateTime.UtcNow.AddSeconds(3);
        await Task.WhenAll(Enumerable.Range(0, 2 * (concurrency + queue)).Select(_ => Task.Run(async () =>
        {
            while (DateTime.UtcNow < until)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await server.Client.DecideAsync(Slow(), deadline: DateTime.UtcNow.AddSeconds(10));
                    admitted.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    refused.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                catch (RpcException e)
                {
                    other.Add(e.Status.ToString());
                }
            }
        }))).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(other);
        Assert.NotEmpty(refused);
        Assert.NotEmpty(admitted);

        // An admitted call waits at most the queue wait, then for those ahead of it; a generous bound, not a benchmark.
        var admittedBound = queueWaitMs + ((concurrency + queue) * service * 3) + 500;
        Assert.True(P99(admitted) < admittedBound, $"admitted p99 {P99(admitted):F0} ms, bound {admittedBound:F0} ms (service {service:F1} ms)");
        Assert.True(P99(refused) < queueWaitMs + 500, $"refused p99 {P99(refused):F0} ms");
        var metrics = await MetricsScrape.TakeAsync(server.Admin);
        Assert.Equal(refused.Count, metrics.Value("pdp_overload_rejections_total"));
    }

    [Fact]
    public async Task Decide_DeadlinePassesWhileQueued_IsNotEvaluated()
    {
        await using var server = await PdpTestServer.StartAsync(_policies, new Dictionary<string, string?>
        {
            ["Pdp:Overload:MaxConcurrentDecisions"] = "1",
            ["Pdp:Overload:MaxQueuedDecisions"] = "8",
            ["Pdp:Overload:MaxQueueWaitMilliseconds"] = "10000",
            ["Pdp:Sandbox:MaxStatements"] = "100000000",
            ["Pdp:Sandbox:TimeoutMilliseconds"] = "10000",
            ["Pdp:Sandbox:MemoryLimitBytes"] = "1073741824",
        });
        // One call first, so the blockers meet a warm server: on a loaded machine a cold first Decide could still be
        // arriving when the late call does, and the late call would take the free slot and be evaluated.
        await server.Client.DecideAsync(Slow(10)).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        // Blockers of a few seconds each: a quiet machine ran 1,000,000 iterations in under the 500 ms below (CI saw the
        // first blocker done before the check). How they end does not matter, only that the one slot stays taken.
        var blockers = Enumerable.Range(0, 2).Select(_ => server.Client.DecideAsync(Slow(5_000_000)).ResponseAsync).ToArray();
        await Task.Delay(500);
        Assert.DoesNotContain(blockers, b => b.IsCompleted);

        var late = Slow(10);
        late.Action.Target.Id = "late-" + Guid.NewGuid();
        var error = await Assert.ThrowsAsync<RpcException>(() => server.Client.DecideAsync(late, deadline: DateTime.UtcNow.AddMilliseconds(150)).ResponseAsync.WaitAsync(PdpTestServer.Timeout));
        await Task.WhenAll(blockers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.DoesNotContain(late.Action.Target.Id, await File.ReadAllTextAsync(server.AuditPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KillNine_Repeatedly_TrailVerifiesNothingAcknowledgedIsLostPendingReviewsIntact()
    {
        var trail = Path.Combine(_work, "audit.jsonl");
        var acknowledged = new ConcurrentBag<string>();
        var pending = new ConcurrentBag<string>();
        for (var round = 0; round < 3; round++)
        {
            await using var server = await PdpProcess.StartAsync(_policies, trail);
            foreach (var id in pending.Take(10))
            {
                var record = await server.Client.GetDecisionAsync(new GetDecisionRequest { DecisionId = id }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                Assert.Equal(ReviewStatus.Pending, record.ReviewStatus);
            }

            using var stop = new CancellationTokenSource();
            var target = acknowledged.Count + 150;
            var clients = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var human = i % 2 == 0;
                        var response = await server.Client.DecideAsync(Request(human ? "review.human" : "review.allow"), deadline: DateTime.UtcNow.AddSeconds(10));
                        acknowledged.Add(response.DecisionId);
                        if (human)
                        {
                            pending.Add(response.DecisionId);
                        }
                    }
                    catch (RpcException)
                    {
                        return;
                    }
                }
            })).ToArray();
            while (acknowledged.Count < target)
            {
                await Task.Delay(10).WaitAsync(PdpTestServer.Timeout);
            }

            await server.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(clients).WaitAsync(PdpTestServer.Timeout);

            var verification = AuditVerifier.Verify(trail);
            var recorded = AuditTrailReader.Read(trail).Where(r => r.Type == "decision").Select(r => r.Payload["decision_id"]!.GetValue<string>()).ToHashSet();
            if (!verification.Ok)
            {
                // Only a torn last line is acceptable, and the next start repairs it (checked next round).
                Assert.Equal(verification.Line, File.ReadLines(trail).Count());
            }

            Assert.DoesNotContain(acknowledged, id => !recorded.Contains(id));
        }

        await using var last = await PdpProcess.StartAsync(_policies, trail);
        Assert.True(AuditVerifier.Verify(trail).Ok);
    }

    [Fact]
    public async Task Sigterm_WithCallsInFlight_ReadinessFalseFirstCallsFinishTrailFlushedExitZero()
    {
        var trail = Path.Combine(_work, "audit.jsonl");
        await using var server = await PdpProcess.StartAsync(_policies, trail, "--Pdp:Shutdown:DrainDelaySeconds=1", "--Pdp:Sandbox:MaxStatements=100000000", "--Pdp:Sandbox:TimeoutMilliseconds=5000", "--Pdp:Sandbox:MemoryLimitBytes=1073741824");
        var inFlight = Enumerable.Range(0, 4).Select(_ => server.Client.DecideAsync(Slow(3_000_000), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync).ToArray();
        await Task.Delay(50);

        using (Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
        }

        var sawNotReady = false;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!sawNotReady && DateTime.UtcNow < deadline)
        {
            try
            {
                using var ready = await server.Admin.GetAsync(new Uri("/readyz", UriKind.Relative));
                sawNotReady = ready.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable;
            }
            catch (HttpRequestException)
            {
                break;
            }

            await Task.Delay(50);
        }

        var answers = await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromSeconds(60));
        var exit = await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(sawNotReady, "readiness never reported draining before the listeners closed");
        Assert.All(answers, a => Assert.Equal(Verdict.Allow, a.Verdict));
        Assert.Equal(0, exit);
        Assert.True(AuditVerifier.Verify(trail).Ok);
        var recorded = AuditTrailReader.Read(trail).Where(r => r.Type == "decision").Select(r => r.Payload["decision_id"]!.GetValue<string>()).ToHashSet();
        Assert.All(answers, a => Assert.Contains(a.DecisionId, recorded));
    }

    [Fact]
    public async Task DiskFull_TrailCannotBeWritten_FailsClosedUnavailableThenRecovers()
    {
        var mount = Path.Combine(_work, "small-disk");
        Directory.CreateDirectory(mount);
        Assert.Equal(0, await RunAsync("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mount));
        try
        {
            await using var server = await PdpTestServer.StartAsync(_policies, new Dictionary<string, string?> { ["Pdp:Audit:Path"] = Path.Combine(mount, "audit.jsonl") });
            await server.Client.DecideAsync(Request("review.allow")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);

            // Fill the disk to the last byte.
            var filler = Path.Combine(mount, "filler");
            await using (var stream = File.OpenWrite(filler))
            {
                var block = new byte[4096];
                try
                {
                    while (true)
                    {
                        await stream.WriteAsync(block);
                        await stream.FlushAsync();
                    }
                }
                catch (IOException)
                {
                    // No space left: that is the point.
                }
            }

            // The trail's last page may still hold a record or two; the next ones cannot be written.
            RpcException? failed = null;
            for (var i = 0; i < 20 && failed is null; i++)
            {
                try
                {
                    await server.Client.DecideAsync(Request("review.allow")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                }
                catch (RpcException e)
                {
                    failed = e;
                }
            }

            Assert.NotNull(failed);
            Assert.Equal(StatusCode.Unavailable, failed.StatusCode);

            File.Delete(filler);
            var recovered = await server.Client.DecideAsync(Request("review.allow")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
            Assert.Equal(Verdict.Allow, recovered.Verdict);
            Assert.True(AuditVerifier.Verify(Path.Combine(mount, "audit.jsonl")).Ok);
            Assert.Contains(recovered.DecisionId, await File.ReadAllTextAsync(Path.Combine(mount, "audit.jsonl")), StringComparison.Ordinal);
        }
        finally
        {
            await RunAsync("umount", "-l", mount);
        }
    }

    private static double P99(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)];
    }

    private static DecideRequest Slow(int iterations = 100_000)
    {
        var request = Request("slow.work");
        request.Action.Parameters = new Google.Protobuf.WellKnownTypes.Struct { Fields = { ["iterations"] = Google.Protobuf.WellKnownTypes.Value.ForNumber(iterations) } };
        return request;
    }

    private static DecideRequest Request(string type) => new()
    {
        Agent = new Agent { Id = ReviewPolicies.Agent, OnBehalfOf = ReviewPolicies.Principal },
        Action = new Pdp.Contracts.V1.Action { Type = type, Target = new Target { Kind = "account", Id = "t" } },
    };

    private static async Task<int> RunAsync(string file, params string[] args) => (await ProcessRun.RunAsync(file, args, PdpTestServer.Timeout)).ExitCode;
}
