using Pdp.Audit.Verification;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>Start-up from a checkpoint reads only what follows it; whatever a crash leaves, nothing acknowledged is lost.</summary>
public sealed class CheckpointTests : CheckpointFixture
{
    [Theory]
    [InlineData(100)]
    [InlineData(1_000)]
    [InlineData(5_000)]
    public async Task Open_AfterGracefulStop_VerifiesAndReplaysOnlyTheRecordsAfterTheCheckpoint(int records)
    {
        var receipts = await WriteCheckpointed(CheckpointOptions(everyRecords: 200, maxFileBytes: 64 * 1024), records);

        var (trail, recovered, state) = await OpenWithState(CheckpointOptions(everyRecords: 200, maxFileBytes: 64 * 1024));
        await using var _ = trail;

        // Whatever the history, start-up verifies the final checkpoint record alone and replays 5 state records and it.
        // The stop's checkpoint anchors at the record before it: the last receipt, or a periodic checkpoint record
        // that was still being written when the last receipt was taken (its anchor then lies before that receipt).
        var checkpoint = Assert.IsType<CheckpointRecovery>(trail.Recovery.Checkpoint);
        Assert.Equal(checkpoint.CheckpointSeq - 1, checkpoint.AnchorSeq);
        Assert.InRange(checkpoint.AnchorSeq, receipts[^1].Seq, receipts[^1].Seq + 1);
        Assert.Equal(1, checkpoint.RecordsAfterAnchor);
        Assert.Equal(1, trail.Recovery.RecordsRead);
        Assert.Equal(6, recovered.Count);
        Assert.Equal([.. receipts.TakeLast(5).Select(static r => r.Seq), checkpoint.CheckpointSeq], recovered.Select(static r => r.Seq));
        Assert.Equal(recovered.Select(static r => r.Seq), state.Observed);
        Assert.Equal(checkpoint.CheckpointSeq, trail.LastSeq);
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);
    }

    [Fact]
    public async Task Open_StateHandedOverNewestFirst_ReplaysItOldestFirst()
    {
        // The state's entries are sorted by the checkpoint, off the writer's lock: a state need not sort them itself.
        var options = CheckpointOptions(everyRecords: 1_000);
        var writer = await AuditTrail.OpenAsync(options, new KeepNewest(5, newestFirst: true), cancellationToken: Ct).WaitAsync(Timeout, Ct);
        Assert.Empty(writer.ReadRecovered());
        var receipts = await AppendMany(writer, 40);
        await writer.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        var (trail, recovered, _) = await OpenWithState(options);
        await using var _ = trail;
        var checkpoint = Assert.IsType<CheckpointRecovery>(trail.Recovery.Checkpoint);
        Assert.Equal([.. receipts.TakeLast(5).Select(static r => r.Seq), checkpoint.CheckpointSeq], recovered.Select(static r => r.Seq));
    }

    [Fact]
    public async Task Open_NoPointerButRecords_ScansAllThenCheckpoints()
    {
        await WriteTrail(300);

        var (trail, recovered, _) = await OpenWithState(CheckpointOptions(everyRecords: 1_000));
        Assert.Null(trail.Recovery.Checkpoint);
        Assert.Equal(300, recovered.Count);
        await WaitFor(() => trail.CheckpointCount > 0);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        var (again, replayed, _) = await OpenWithState(CheckpointOptions(everyRecords: 1_000));
        await using var _ = again;
        Assert.NotNull(again.Recovery.Checkpoint);
        Assert.True(replayed.Count <= 6, $"{replayed.Count} records replayed");
    }

    [Fact]
    public async Task Open_RecordsAfterCheckpoint_ReplaysStateThenThoseRecords()
    {
        var options = CheckpointOptions(everyRecords: 100);
        var (trail, _, _) = await OpenWithState(options);
        await AppendMany(trail, 120);
        await WaitFor(() => trail.CheckpointCount > 0);
        var at = trail.CheckpointSeq;
        await AppendMany(trail, 30, first: 1000);

        // A crash: the trail is left as it is, without the checkpoint a graceful stop writes.
        var copy = CopyTrail();
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        RestoreTrail(copy);

        var (reopened, recovered, _) = await OpenWithState(options);
        await using var __ = reopened;
        var checkpoint = reopened.Recovery.Checkpoint!;
        Assert.Equal(at, checkpoint.CheckpointSeq);
        Assert.Equal(reopened.LastSeq - checkpoint.AnchorSeq, checkpoint.RecordsAfterAnchor);
        Assert.Equal(reopened.LastSeq, recovered[^1].Seq);
        Assert.Equal(1029, recovered[^1].Payload["n"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("temp-state")]
    [InlineData("state-without-record")]
    [InlineData("record-without-pointer")]
    public async Task Open_CrashWhileCheckpointIsWritten_UsesThePreviousCheckpointAndLosesNothing(string crash)
    {
        var options = CheckpointOptions(everyRecords: 10_000);
        var receipts = await WriteCheckpointed(options, 200);
        var previousPointer = File.ReadAllBytes(PointerPath);
        var (trail, _, _) = await OpenWithState(options);
        receipts.AddRange(await AppendMany(trail, 40, first: 500));
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        // Undo the graceful stop's checkpoint to the point the crash would have left.
        var pointer = Pdp.Audit.Checkpoints.CheckpointPointer.TryRead(ActivePath)!;
        var newState = Path.Combine(Dir, pointer.Payload.State.File);
        File.WriteAllBytes(PointerPath, previousPointer);
        switch (crash)
        {
            case "temp-state":
                File.Move(newState, newState + ".tmp");
                File.WriteAllBytes(newState + ".tmp", File.ReadAllBytes(newState + ".tmp")[..10]);
                CutActive(pointer.Seq);
                break;
            case "state-without-record":
                CutActive(pointer.Seq);
                break;
        }

        var expected = Pdp.Audit.Checkpoints.CheckpointPointer.TryRead(ActivePath)!.Seq;
        var (reopened, recovered, _) = await OpenWithState(options);
        Assert.Equal(expected, reopened.Recovery.Checkpoint!.CheckpointSeq);
        Assert.True(reopened.LastSeq >= receipts[^1].Seq);
        await reopened.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        Assert.Equal(receipts[^1].Hash, AuditTrailReader.Read(ActivePath).Single(r => r.Seq == receipts[^1].Seq).Hash);
        Assert.Equal(500 + 39, recovered.Last(static r => r.Type == "decision").Payload["n"]!.GetValue<int>());
    }

    private void CutActive(long fromSeq)
    {
        var lines = ReadLines(ActivePath);
        WriteLines(ActivePath, lines.Where(l => !l.StartsWith($"{{\"seq\":{fromSeq},", StringComparison.Ordinal)));
    }

    private Dictionary<string, byte[]> CopyTrail() =>
        Directory.GetFiles(Dir).Where(static f => !f.EndsWith(".lock", StringComparison.Ordinal)).ToDictionary(static f => f, File.ReadAllBytes);

    private void RestoreTrail(Dictionary<string, byte[]> copy)
    {
        foreach (var file in Directory.GetFiles(Dir).Where(f => !copy.ContainsKey(f) && !f.EndsWith(".lock", StringComparison.Ordinal)))
        {
            File.Delete(file);
        }

        foreach (var (file, bytes) in copy)
        {
            File.WriteAllBytes(file, bytes);
        }
    }

    internal static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10, Ct);
        }
    }
}
