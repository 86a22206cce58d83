using Pdp.Audit.Checkpoints;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>Trails with checkpoints: a state that keeps the newest few records, and helpers to write and reopen.</summary>
public abstract class CheckpointFixture : TrailFixture
{
    protected const long SmallFile = 2048;

    protected string PointerPath => Path.Combine(Dir, "audit.checkpoint.json");

    protected AuditTrailOptions CheckpointOptions(long everyRecords = 50, long maxFileBytes = SmallFile, RetentionOptions? retention = null) =>
        Options(maxFileBytes) with { Checkpoints = new CheckpointOptions { EveryRecords = everyRecords, Retention = retention } };

    protected static async Task<(AuditTrail Trail, List<AuditRecord> Recovered, KeepNewest State)> OpenWithState(AuditTrailOptions options)
    {
        var state = new KeepNewest(5);
        var trail = await AuditTrail.OpenAsync(options, state, cancellationToken: Ct).WaitAsync(Timeout, Ct);
        return (trail, trail.ReadRecovered().ToList(), state);
    }

    /// <summary>Writes <paramref name="count"/> records through a checkpointing trail and closes it (which checkpoints once more).</summary>
    protected static async Task<List<AuditReceipt>> WriteCheckpointed(AuditTrailOptions options, int count, int first = 1)
    {
        var (trail, _, _) = await OpenWithState(options);
        var receipts = await AppendMany(trail, count, first);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        return receipts;
    }

    protected string[] RotatedFiles() =>
        [.. Directory.GetFiles(Dir, "audit.0*.jsonl").Order(StringComparer.Ordinal)];

    protected long TrailBytes() =>
        Directory.GetFiles(Dir, "audit*.jsonl").Where(static f => !f.Contains(".state.", StringComparison.Ordinal)).Sum(static f => SizeOf(f));

    private static long SizeOf(string file)
    {
        try
        {
            return new FileInfo(file).Length;
        }
        catch (FileNotFoundException)
        {
            // Removed by retention between the listing and the look.
            return 0;
        }
    }

    /// <summary>
    /// Keeps the newest few records: enough to see that a checkpoint's state comes back in order. With
    /// <paramref name="newestFirst"/> it hands them over in reverse, as a state free to use any order may.
    /// </summary>
    protected sealed class KeepNewest(int keep, bool newestFirst = false) : ITrailState
    {
        private readonly Queue<TrailStateEntry> _entries = new();

        public List<long> Observed { get; } = [];

        public void Observe(long seq, string type, ReadOnlyMemory<byte> canonicalPayload)
        {
            Observed.Add(seq);
            if (type == "checkpoint")
            {
                return;
            }

            _entries.Enqueue(new TrailStateEntry(seq, type, canonicalPayload.ToArray()));
            while (_entries.Count > keep)
            {
                _entries.Dequeue();
            }
        }

        public IReadOnlyList<TrailStateEntry> Snapshot() => newestFirst ? [.. _entries.Reverse()] : [.. _entries];
    }
}
