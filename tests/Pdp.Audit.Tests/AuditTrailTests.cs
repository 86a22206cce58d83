using System.Text.Json.Nodes;
using Pdp.Audit.Format;
using Pdp.Audit.Verification;
using Xunit;

namespace Pdp.Audit.Tests;

public sealed class AuditTrailTests : TrailFixture
{
    [Fact]
    public async Task AppendAsync_ManyConcurrentTasks_EveryRecordChainedOnceWithGroupCommit()
    {
        const int tasks = 50;
        const int perTask = 40;
        var trail = await Open(Options());

        var receipts = await Task.WhenAll(Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            var mine = new List<(int N, AuditReceipt Receipt)>();
            for (var i = 0; i < perTask; i++)
            {
                var n = (t * perTask) + i;
                mine.Add((n, await trail.AppendAsync("decision", Payload(n), Ct).AsTask().WaitAsync(Timeout, Ct)));
            }

            return mine;
        }, Ct))).WaitAsync(Timeout, Ct);
        var fsyncs = trail.FsyncCount;
        var batches = trail.BatchCount;
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        var all = receipts.SelectMany(static r => r).ToList();
        Assert.Equal(Enumerable.Range(1, tasks * perTask).Select(static i => (long)i), all.Select(static r => r.Receipt.Seq).Order());
        var result = AuditVerifier.Verify(ActivePath);
        Assert.True(result.Ok, result.ToString());
        Assert.Equal(tasks * perTask, result.RecordsChecked);
        var records = AuditTrailReader.Read(ActivePath).ToDictionary(static r => r.Seq);
        foreach (var (n, receipt) in all)
        {
            Assert.Equal(receipt.Hash, records[receipt.Seq].Hash);
            Assert.Equal(n, records[receipt.Seq].Payload["n"]!.GetValue<int>());
        }

        // Group commit: many records per fsync. With 50 callers in flight a batch almost always holds several.
        Assert.True(fsyncs < tasks * perTask, $"{fsyncs} fsyncs for {tasks * perTask} records");
        Assert.True(batches < tasks * perTask, $"{batches} batches for {tasks * perTask} records");
    }

    [Fact]
    public async Task AppendAsync_SingleRecord_ReceiptMatchesStoredLine()
    {
        var trail = await Open(Options());
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var receipt = await trail.AppendAsync("policy_load", new JsonObject { ["version"] = "v1" }, Ct).AsTask().WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        var line = Assert.Single(ReadLines(ActivePath));
        Assert.StartsWith("""{"seq":1,"time":""", line, StringComparison.Ordinal);
        Assert.EndsWith($$"""
            "type":"policy_load","payload":{"version":"v1"},"prev_hash":"{{RecordCodec.GenesisHash}}","hash":"{{receipt.Hash}}"}
            """, line, StringComparison.Ordinal);
        Assert.EndsWith("\n", File.ReadAllText(ActivePath), StringComparison.Ordinal);
        var record = Assert.Single(AuditTrailReader.Read(ActivePath));
        Assert.Equal((1L, receipt.Hash, receipt.Time, "policy_load"), (record.Seq, record.Hash, record.Time, record.Type));
        Assert.InRange(receipt.Time, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.True(trail.FsyncCount >= 1);
    }

    [Fact]
    public async Task AppendAsync_PayloadChangedAfterCall_StoresPayloadAsItWas()
    {
        var trail = await Open(Options());
        var payload = new JsonObject { ["state"] = "before" };

        var pending = trail.AppendAsync("decision", payload, Ct);
        payload["state"] = "after";
        await pending.AsTask().WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal("before", Assert.Single(AuditTrailReader.Read(ActivePath)).Payload["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task AppendAsync_NonFinitePayload_FailsThatCallerOnly()
    {
        var trail = await Open(Options());

        await Assert.ThrowsAnyAsync<ArgumentException>(() => trail.AppendAsync("decision", new JsonObject { ["x"] = double.NaN }, Ct).AsTask()).WaitAsync(Timeout, Ct);
        var next = await trail.AppendAsync("decision", Payload(1), Ct).AsTask().WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal(1, next.Seq);
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public async Task AppendAsync_MissingType_ThrowsArgumentException(string? type)
    {
        var trail = await Open(Options());

        await Assert.ThrowsAnyAsync<ArgumentException>(() => trail.AppendAsync(type!, Payload(1), Ct).AsTask()).WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
    }

    [Fact]
    public async Task AppendAsync_CancelledBeforeQueued_WritesNothing()
    {
        var trail = await Open(Options());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync().WaitAsync(Timeout, Ct);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => trail.AppendAsync("decision", Payload(1), cancelled.Token).AsTask()).WaitAsync(Timeout, Ct);
        var next = await trail.AppendAsync("decision", Payload(2), Ct).AsTask().WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal(1, next.Seq);
        Assert.Equal(2, Assert.Single(AuditTrailReader.Read(ActivePath)).Payload["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task AppendAsync_QueueOfOne_ManyCallersWaitTheirTurnAndAllSucceed()
    {
        var trail = await Open(Options() with { QueueCapacity = 1, MaxBatch = 1 });

        var receipts = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => trail.AppendAsync("decision", Payload(i), Ct).AsTask())).WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal(Enumerable.Range(1, 200).Select(static i => (long)i), receipts.Select(static r => r.Seq).Order());
        Assert.Equal(200, trail.BatchCount);
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);
    }

    [Fact]
    public async Task DisposeAsync_WithAppendsStillQueued_WritesThemAll()
    {
        var trail = await Open(Options());
        var pending = Enumerable.Range(0, 300).Select(i => trail.AppendAsync("decision", Payload(i), Ct).AsTask()).ToList();

        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        var receipts = await Task.WhenAll(pending).WaitAsync(Timeout, Ct);

        Assert.Equal(300, receipts.Length);
        Assert.Equal(300, AuditVerifier.Verify(ActivePath).RecordsChecked);
    }

    [Fact]
    public async Task AppendAsync_AfterDispose_ThrowsObjectDisposed()
    {
        var trail = await Open(Options());
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct); // idempotent

        await Assert.ThrowsAsync<ObjectDisposedException>(() => trail.AppendAsync("decision", Payload(1), Ct).AsTask()).WaitAsync(Timeout, Ct);
    }

    [Fact]
    public async Task OpenAsync_SecondWriterOnSameTrail_FailsUntilFirstCloses()
    {
        var first = await Open(Options());

        var error = await Assert.ThrowsAsync<IOException>(() => Open(Options())).WaitAsync(Timeout, Ct);
        Assert.Contains("another writer", error.Message, StringComparison.Ordinal);
        await first.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        var second = await Open(Options());
        await second.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
    }

    [Fact]
    public async Task OpenAsync_InvalidOptions_ThrowsArgumentException()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Open(Options() with { MaxBatch = 0 })).WaitAsync(Timeout, Ct);

        Assert.Contains("MaxBatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_ExistingTrail_ContinuesChain()
    {
        await WriteTrail(5);

        var trail = await Open(Options());
        var receipt = await trail.AppendAsync("disposition", Payload(6), Ct).AsTask().WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal((1, 5L, 5L), (trail.Recovery.FilesRead, trail.Recovery.RecordsRead, trail.Recovery.LastSeq));
        Assert.Null(trail.Recovery.TruncatedTail);
        Assert.Equal(6, receipt.Seq);
        var records = AuditTrailReader.Read(ActivePath).ToList();
        Assert.Equal(records[4].Hash, records[5].PrevHash);
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);
    }
}
