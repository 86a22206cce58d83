using System.Collections.Concurrent;
using Pdp.Audit.Checkpoints;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>
/// The writer loop runs on a thread of its own: in durable mode it blocks in fsync, and it must not do so on a
/// thread-pool worker (the pool would inject threads and spin more for the requests it serves).
/// </summary>
public sealed class WriterThreadTests : TrailFixture
{
    [Theory]
    [InlineData(AuditDurability.Durable)]
    [InlineData(AuditDurability.Buffered)]
    public async Task Append_AnyDurability_WrittenOnTheWriterThreadNotThePool(AuditDurability durability)
    {
        var state = new ThreadRecorder();
        var trail = await AuditTrail.OpenAsync(Options(durability: durability), state, cancellationToken: Ct).WaitAsync(Timeout, Ct);
        _ = trail.ReadRecovered().ToList();

        var appends = Enumerable.Range(1, 40).Select(i => trail.AppendAsync("test", Payload(i), Ct).AsTask());
        var receipts = await Task.WhenAll(appends).WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal(40, receipts.Select(r => r.Seq).Distinct().Count());
        Assert.NotEmpty(state.Threads);
        Assert.All(state.Threads, t =>
        {
            Assert.False(t.Pool, "a batch was written on a thread-pool thread");
            Assert.Equal(AuditTrail.WriterThreadName, t.Name);
        });
    }

    private sealed class ThreadRecorder : ITrailState
    {
        public ConcurrentBag<(bool Pool, string? Name)> Threads { get; } = [];

        public void Observe(long seq, string type, ReadOnlyMemory<byte> canonicalPayload) =>
            Threads.Add((Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));

        public IReadOnlyList<TrailStateEntry> Snapshot() => [];
    }
}
