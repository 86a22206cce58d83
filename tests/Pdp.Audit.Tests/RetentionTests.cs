using Pdp.Audit.Checkpoints;
using Pdp.Audit.Reading;
using Pdp.Audit.Verification;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>Retention removes only covered segments; disk stays bounded; what is left verifies from its checkpoint.</summary>
public sealed class RetentionTests : CheckpointFixture
{
    private const long MaxBytes = 4 * SmallFile;

    [Fact]
    public async Task Retention_SustainedLoad_KeepsDiskBoundAndSuffixVerifiesFromItsCheckpoint()
    {
        var options = CheckpointOptions(everyRecords: 10, retention: new RetentionOptions { MaxBytes = MaxBytes });
        var (trail, _, _) = await OpenWithState(options);
        var first = await trail.AppendAsync("decision", Payload(0), Ct).AsTask().WaitAsync(Timeout, Ct);
        long peak = 0;
        long settled = 0;
        for (var round = 0; round < 40; round++)
        {
            // Concurrent appends, as under load: each round is one or a few group commits.
            var receipts = await Task.WhenAll(Enumerable.Range(round * 25, 25).Select(i => trail.AppendAsync("decision", Payload(i), Ct).AsTask())).WaitAsync(Timeout, Ct);
            peak = Math.Max(peak, TrailBytes());

            // Measured once the checkpoint covering the round is written: between checkpoints the trail grows by
            // what is written meanwhile, which under real load is a fraction of a 64 MiB segment.
            var last = receipts.Max(static r => r.Seq);
            await CheckpointTests.WaitFor(() => trail.CompletedCheckpointSeq > last);
            settled = Math.Max(settled, TrailBytes());
        }

        Assert.Equal(0, trail.CheckpointFailures);

        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        // Once a checkpoint is written the bound holds to within the segment holding its anchor and the active file;
        // before it, the trail is larger by what was written since (here: one round of 25 records, about 9 KB).
        Assert.InRange(settled, 1, MaxBytes + (2 * SmallFile));
        Assert.InRange(peak, 1, MaxBytes + (6 * SmallFile));
        Assert.InRange(TrailBytes(), 1, MaxBytes + SmallFile);
        Assert.DoesNotContain(Path.Combine(Dir, "audit.000001.jsonl"), RotatedFiles());
        var verified = AuditVerifier.Verify(ActivePath);
        Assert.True(verified.Ok, verified.ToString());
        Assert.NotNull(verified.AnchoredByCheckpoint);
        Assert.True(verified.FirstSeq > 1);
        Assert.Contains("anchored by the checkpoint at seq", verified.ToString(), StringComparison.Ordinal);
        Assert.Equal(first.Hash, TrailTail.ReadTrailId(ActivePath));

        var (reopened, _, _) = await OpenWithState(options);
        await using var _ = reopened;
        Assert.Equal(first.Hash, reopened.TrailId);
        Assert.NotNull(reopened.Recovery.Checkpoint);
    }

    [Fact]
    public async Task Retention_ConsumerBehind_KeepsEverySegmentItStillNeedsThenLetsThemGo()
    {
        // A consumer (the fleet log's shipper) that has taken nothing yet: the byte bound must wait for it.
        long needed = 1;
        var first = Path.Combine(Dir, "audit.000001.jsonl");
        var options = CheckpointOptions(everyRecords: 10, retention: new RetentionOptions { MaxBytes = MaxBytes });
        var (trail, _, _) = await OpenWithState(options);
        await using var _ = trail;
        trail.KeepFrom = () => Volatile.Read(ref needed);
        var next = 1;

        // Appends in rounds until the condition holds: checkpoints come every 10 records, asynchronously, so waiting
        // for "the checkpoint after the last record" could wait for one that is never due.
        async Task AppendUntil(Func<bool> condition)
        {
            for (var round = 0; round < 200 && !condition(); round++)
            {
                await AppendMany(trail, 10, first: next);
                next += 10;
                await Task.Delay(10, Ct);
            }

            Assert.True(condition(), "condition not met after 200 rounds of appends");
        }

        await AppendUntil(() => trail.CompletedCheckpointSeq > 300);
        Assert.Contains(first, RotatedFiles());
        Assert.True(TrailBytes() > MaxBytes + (2 * SmallFile), $"{TrailBytes()} bytes kept");

        // Once it has taken everything, the checkpoints that follow let every segment it held go (all but the newest
        // few, which the byte bound may keep).
        var held = RotatedFiles();
        Volatile.Write(ref needed, trail.LastSeq + 1);
        await AppendUntil(() => !RotatedFiles().Intersect(held[..^3]).Any());

        // Verified once closed: the verifier reads files that a live trail's retention may remove meanwhile.
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        var verified = AuditVerifier.Verify(ActivePath);
        Assert.True(verified.Ok, verified.ToString());
    }

    [Fact]
    public async Task Retention_SegmentsOlderThanMaxAge_AreMovedToTheArchive()
    {
        var archive = Path.Combine(Dir, "archive");
        var options = CheckpointOptions(everyRecords: 10_000, retention: new RetentionOptions { MaxAge = TimeSpan.FromHours(1), ArchiveDirectory = archive });
        await WriteCheckpointed(options, 100);
        var old = RotatedFiles();
        foreach (var file in old)
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2));
        }

        await WriteCheckpointed(options, 5, first: 200);

        var archived = Directory.GetFiles(archive).Select(Path.GetFileName).ToList();
        Assert.NotEmpty(archived);
        Assert.All(archived, name => Assert.Contains(Path.Combine(Dir, name!), old));
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);

        // The segment holding the checkpoint's anchor, and anything after it, stays.
        var pointer = CheckpointPointer.TryRead(ActivePath)!;
        Assert.All(pointer.Payload.Segments, s => Assert.True(File.Exists(Path.Combine(Dir, $"audit.{s.Number:D6}.jsonl"))));
    }

    [Fact]
    public async Task Retention_SegmentBelowAnchorDeletedByHandAfterRetention_IsStillRefused()
    {
        var options = CheckpointOptions(everyRecords: 10, retention: new RetentionOptions { MaxBytes = MaxBytes });
        await WriteCheckpointed(options, 300);
        var kept = RotatedFiles();
        File.Delete(kept[0]);

        var refused = await Assert.ThrowsAsync<AuditTrailCorruptException>(() => OpenWithState(options)).WaitAsync(Timeout, Ct);
        Assert.Contains(kept[0], refused.Message, StringComparison.Ordinal);
        Assert.False(AuditVerifier.Verify(ActivePath).Ok);
    }

    [Fact]
    public void Validate_RetentionWithoutLimitOrTooSmall_IsRefused()
    {
        Assert.NotEmpty(new RetentionOptions().Validate(SmallFile));
        Assert.NotEmpty(new RetentionOptions { MaxBytes = SmallFile }.Validate(SmallFile));
        Assert.NotEmpty(new RetentionOptions { MaxAge = TimeSpan.Zero }.Validate(SmallFile));
        Assert.NotEmpty(new CheckpointOptions { EveryRecords = 0 }.Validate(SmallFile));
        Assert.NotEmpty(new CheckpointOptions { Interval = TimeSpan.Zero }.Validate(SmallFile));
        Assert.Empty(new CheckpointOptions { Retention = new RetentionOptions { MaxBytes = 2 * SmallFile } }.Validate(SmallFile));
    }
}
