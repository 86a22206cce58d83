using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Pdp.Contracts.V1;
using Pdp.Server.Policies;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// Hot reload from file events, end to end: the real server on a copy of the shipped policies, real
/// gRPC clients deciding throughout. It measures how soon a change serves, so it runs alone (after the
/// parallel tests) rather than competing with them for the CPU.
/// </summary>
[Collection(nameof(HotReloadTests))]
[CollectionDefinition(nameof(HotReloadTests), DisableParallelization = true)]
public sealed class HotReloadTests(ITestOutputHelper output) : IDisposable
{
    private readonly PolicyWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public async Task Reload_EditBreakRepairWhileClientsDecide_NoFailedOrWrongCallAndEachGoodRevisionServesWithinASecond()
    {
        var stricter = _workspace.RevisionWith(_workspace.Stricter);
        var repaired = _workspace.RevisionWith(_workspace.Repaired);
        var expected = new Dictionary<string, Dictionary<string, Verdict>>
        {
            [_workspace.OriginalRevision] = PolicyWorkspace.VerdictsFor(stricter: false),
            [stricter] = PolicyWorkspace.VerdictsFor(stricter: true),
            [repaired] = PolicyWorkspace.VerdictsFor(stricter: false),
        };
        Assert.Equal(3, expected.Count);

        // The shipped settings: watch on, 200 ms debounce, 5 s poll.
        await using var server = await PdpTestServer.StartAsync(_workspace.PolicyDir);
        var status = server.Services.GetRequiredService<PolicyReloadStatus>();
        using var clients = new DecidingClients(server, expected);
        await clients.WaitForCallsAsync(64);
        Assert.Equal(_workspace.OriginalRevision, Assert.Single(clients.FirstSeen.Keys));

        // A valid edit that changes a verdict: served within a second of the write.
        var written = Stopwatch.GetTimestamp();
        _workspace.WriteIam(_workspace.Stricter);
        var seen = await clients.WaitForRevisionAsync(stricter);
        AssertServedWithinASecond(written, seen, status);
        clients.Retire(_workspace.OriginalRevision);

        // A syntax error: refused; the stricter revision keeps serving and health stays SERVING.
        _workspace.WriteIam(_workspace.Broken);
        await PolicyWorkspace.WaitUntilAsync(() => status.LastError?.Contains($"iam.js:{_workspace.BrokenLine}:", StringComparison.Ordinal) == true);
        var callsAfterRefusal = clients.Calls;
        await clients.WaitForCallsAsync(callsAfterRefusal + 64);
        Assert.Equal(stricter, (await server.Client.DecideAsync(PdpTestServer.Request("iam.account.disable")).ResponseAsync.WaitAsync(PdpTestServer.Timeout)).PolicyRevision);
        var health = await server.Health.CheckAsync(new HealthCheckRequest { Service = "pdp.v1.DecisionService" }).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        // The repair: served within a second.
        written = Stopwatch.GetTimestamp();
        _workspace.WriteIam(_workspace.Repaired);
        seen = await clients.WaitForRevisionAsync(repaired);
        AssertServedWithinASecond(written, seen, status);
        clients.Retire(stricter);
        await clients.WaitForCallsAsync(clients.Calls + 64);

        await clients.StopAsync();
        output.WriteLine($"{clients.Calls} calls by 8 clients");
        Assert.Empty(clients.Failed);
        Assert.Empty(clients.Wrong);
        Assert.Equal(expected.Keys.Order(), clients.FirstSeen.Keys.Order());
        Assert.True(clients.Calls > 200, $"only {clients.Calls} calls");
        Assert.Equal(repaired, status.CurrentRevision);
        Assert.True(status.Activations >= 3, $"{status.Activations} activations");
    }

    private void AssertServedWithinASecond(long written, long seen, PolicyReloadStatus status)
    {
        var latency = Stopwatch.GetElapsedTime(written, seen);
        output.WriteLine($"{status.CurrentRevision} served {latency.TotalMilliseconds:F0} ms after the write (load {status.Current.LastDuration?.TotalMilliseconds:F0} ms)");
        Assert.True(latency < TimeSpan.FromSeconds(1), $"served {latency.TotalMilliseconds:F0} ms after the write (the load took {status.Current.LastDuration?.TotalMilliseconds:F0} ms)");
    }

    /// <summary>
    /// Eight callers deciding the known inputs in a loop, checking each answer against the revision that
    /// gave it, and that no call started after a revision was replaced is answered by it.
    /// </summary>
    private sealed class DecidingClients : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task[] _workers;
        private volatile string[] _retired = [];
        private long _calls;

        public DecidingClients(PdpTestServer server, Dictionary<string, Dictionary<string, Verdict>> expected)
        {
            _workers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
            {
                for (var i = worker; !_stop.IsCancellationRequested; i++)
                {
                    var type = PolicyWorkspace.ActionTypes[i % PolicyWorkspace.ActionTypes.Length];
                    var retired = _retired;
                    try
                    {
                        var response = await server.Client.DecideAsync(PdpTestServer.Request(type, targetId: $"user-{worker}-{i}@example.com")).ResponseAsync.WaitAsync(PdpTestServer.Timeout);
                        var received = Stopwatch.GetTimestamp();
                        FirstSeen.AddOrUpdate(response.PolicyRevision, received, (_, earlier) => Math.Min(earlier, received));
                        if (retired.Contains(response.PolicyRevision))
                        {
                            Wrong.Enqueue($"{type}: answered by {response.PolicyRevision} after it was replaced");
                        }
                        else if (!expected.TryGetValue(response.PolicyRevision, out var verdicts))
                        {
                            Wrong.Enqueue($"{type}: answered by unknown revision {response.PolicyRevision}");
                        }
                        else if (verdicts[type] != response.Verdict)
                        {
                            Wrong.Enqueue($"{type}: {response.Verdict} from {response.PolicyRevision}, expected {verdicts[type]}");
                        }
                    }
                    catch (Exception e) when (e is RpcException or TimeoutException)
                    {
                        Failed.Enqueue($"{type}: {e.Message}");
                    }

                    Interlocked.Increment(ref _calls);
                }
            })).ToArray();
        }

        public ConcurrentDictionary<string, long> FirstSeen { get; } = new();

        public ConcurrentQueue<string> Wrong { get; } = new();

        public ConcurrentQueue<string> Failed { get; } = new();

        public long Calls => Interlocked.Read(ref _calls);

        /// <summary>From now on, a call answered by <paramref name="revision"/> is wrong: a newer one serves.</summary>
        public void Retire(string revision) => _retired = [.. _retired, revision];

        public Task WaitForCallsAsync(long calls) => PolicyWorkspace.WaitUntilAsync(() => Calls >= calls || !Failed.IsEmpty);

        public async Task<long> WaitForRevisionAsync(string revision)
        {
            await PolicyWorkspace.WaitUntilAsync(() => FirstSeen.ContainsKey(revision) || !Failed.IsEmpty);
            Assert.Empty(Failed);
            return FirstSeen[revision];
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers).WaitAsync(PdpTestServer.Timeout);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
