using System.Text.Json.Nodes;
using Pdp.Audit.Verification;
using Xunit;

namespace Pdp.Audit.Tests;

public sealed class RotationTests : TrailFixture
{
    private const long SmallFile = 2048;

    [Fact]
    public async Task AppendAsync_PastMaxFileBytes_RotatesAndChainContinuesAcrossFiles()
    {
        var trail = await Open(Options(SmallFile));
        await AppendMany(trail, 100);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        var rotated = RotatedFiles();
        Assert.True(rotated.Length >= 5, $"only {rotated.Length} rotated files");
        Assert.Equal(rotated.Select(static (_, i) => $"audit.{i + 1:D6}.jsonl"), rotated.Select(Path.GetFileName));
        Assert.All(rotated.Append(ActivePath), static f => Assert.InRange(new FileInfo(f).Length, 1, SmallFile));

        var result = AuditVerifier.Verify(ActivePath);
        Assert.True(result.Ok, result.ToString());
        Assert.Equal((100L, rotated.Length + 1), (result.RecordsChecked, result.FilesChecked));

        var records = AuditTrailReader.Read(ActivePath).ToList();
        Assert.Equal(Enumerable.Range(1, 100).Select(static i => (long)i), records.Select(static r => r.Seq));
        Assert.Equal(Enumerable.Range(1, 100), records.Select(static r => r.Payload["n"]!.GetValue<int>()));
        for (var i = 1; i < records.Count; i++)
        {
            Assert.Equal(records[i - 1].Hash, records[i].PrevHash);
        }

        // The first record of each later file links to the last record of the file before it.
        var firstOfSecond = AuditTrailReader.Read(rotated[1]).First();
        Assert.Equal(AuditTrailReader.Read(rotated[0]).Last().Hash, firstOfSecond.PrevHash);
    }

    [Fact]
    public async Task OpenAsync_RotatedTrail_ContinuesSeqAndFileNumbers()
    {
        var trail = await Open(Options(SmallFile));
        await AppendMany(trail, 40);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        var rotatedBefore = RotatedFiles().Length;

        var reopened = await Open(Options(SmallFile));
        var receipts = await AppendMany(reopened, 40, first: 41);
        await reopened.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal((rotatedBefore + 1, 40L), (reopened.Recovery.FilesRead, reopened.Recovery.LastSeq));
        Assert.Equal(41, receipts[0].Seq);
        Assert.True(RotatedFiles().Length > rotatedBefore);
        var result = AuditVerifier.Verify(ActivePath);
        Assert.True(result.Ok, result.ToString());
        Assert.Equal(80, result.RecordsChecked);
    }

    [Fact]
    public async Task AppendAsync_ConcurrentAppendsWithRotation_VerifyAcrossFiles()
    {
        var trail = await Open(Options(SmallFile));

        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => trail.AppendAsync("decision", Payload(i), Ct).AsTask())).WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        var result = AuditVerifier.Verify(ActivePath);
        Assert.True(result.Ok, result.ToString());
        Assert.Equal(300, result.RecordsChecked);
    }

    [Fact]
    public async Task AppendAsync_RecordLargerThanMaxFileBytes_WrittenAloneInItsFile()
    {
        var trail = await Open(Options(SmallFile));
        await AppendMany(trail, 2);
        await trail.AppendAsync("decision", new JsonObject { ["blob"] = new string('x', 3000) }, Ct).AsTask().WaitAsync(Timeout, Ct);
        await AppendMany(trail, 1, first: 4);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        var rotated = RotatedFiles();
        Assert.Equal(2, rotated.Length);
        Assert.Equal([3L], AuditTrailReader.Read(rotated[1]).Select(static r => r.Seq));
        Assert.Equal([4L], AuditTrailReader.Read(ActivePath).Select(static r => r.Seq).TakeLast(1));
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);
    }

    [Theory]
    [InlineData(1, "the trail starts at seq")]
    public async Task Verify_RotatedFileDeleted_FailsAtFirstRecordAfterGap(int deleted, string problem)
    {
        var trail = await Open(Options(SmallFile));
        await AppendMany(trail, 40);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        var rotated = RotatedFiles();
        File.Delete(rotated[deleted - 1]);

        var result = AuditVerifier.Verify(ActivePath);

        Assert.False(result.Ok);
        Assert.Equal((rotated[deleted], 1L), (result.File, result.Line));
        Assert.Contains(problem, result.Problem, StringComparison.Ordinal);
        await Assert.ThrowsAsync<AuditTrailCorruptException>(() => Open(Options(SmallFile))).WaitAsync(Timeout, Ct);
    }

    [Fact]
    public async Task Verify_MiddleSegmentDeleted_NamesTheMissingSegment()
    {
        var trail = await Open(Options(SmallFile));
        await AppendMany(trail, 40);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        var rotated = RotatedFiles();
        File.Delete(rotated[1]);

        var result = AuditVerifier.Verify(ActivePath);

        Assert.False(result.Ok);
        Assert.Contains($"segment '{rotated[1]}' is missing", result.Problem, StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<AuditTrailCorruptException>(() => Open(Options(SmallFile))).WaitAsync(Timeout, Ct);
        Assert.Contains(Path.GetFileName(rotated[1]), refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_SingleRotatedFile_ChecksThatFileAlone()
    {
        var trail = await Open(Options(SmallFile));
        await AppendMany(trail, 40);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        var rotated = RotatedFiles();

        var first = AuditVerifier.Verify(rotated[0]);
        var third = AuditVerifier.Verify(rotated[2]);

        Assert.True(first.Ok, first.ToString());
        Assert.True(third.Ok, third.ToString());
        Assert.Equal(1, third.FilesChecked);
        Assert.Equal(AuditTrailReader.Read(rotated[2]).Count(), third.RecordsChecked);
    }

    [Fact]
    public async Task AppendAsync_RotationTargetBlocked_FailsCallersThenRecoversWhenUnblocked()
    {
        // A real failure with real files: a directory squats on the name the active file must be renamed to.
        var squatter = Directory.CreateDirectory(Path.Combine(Dir, "audit.000001.jsonl"));
        var trail = await Open(Options(SmallFile));

        var written = new List<AuditReceipt>();
        var failures = 0;
        for (var i = 1; i <= 20; i++)
        {
            try
            {
                written.Add(await trail.AppendAsync("decision", Payload(i), Ct).AsTask().WaitAsync(Timeout, Ct));
            }
            catch (AuditWriteException)
            {
                failures++;
            }
        }

        Assert.InRange(written.Count, 2, 10);
        Assert.Equal(20 - written.Count, failures);
        Assert.Equal(Enumerable.Range(1, written.Count).Select(static i => (long)i), written.Select(static r => r.Seq));
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);

        squatter.Delete();
        var next = await trail.AppendAsync("decision", Payload(21), Ct).AsTask().WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal(written.Count + 1, next.Seq);
        Assert.True(trail.FailureCount >= failures);
        Assert.Single(RotatedFiles());
        var result = AuditVerifier.Verify(ActivePath);
        Assert.True(result.Ok, result.ToString());
        Assert.Equal(written.Count + 1, result.RecordsChecked);
    }

    private string[] RotatedFiles() =>
        [.. Directory.GetFiles(Dir, "audit.0*.jsonl").Where(File.Exists).Order(StringComparer.Ordinal)];
}
