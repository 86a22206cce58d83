using Pdp.Audit.Reading;
using Xunit;

namespace Pdp.Audit.Tests;

/// <summary>Following a live trail from a shipped position, as the fleet decision log does.</summary>
public sealed class TrailTailTests : TrailFixture
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReadAvailable_WhileTheWriterAppendsAndRotates_EveryRecordOnceInOrder(bool verifyHashes)
    {
        var trail = await Open(Options(maxFileBytes: 2048));
        using var tail = new TrailTail(ActivePath, 0, string.Empty, verifyHashes);
        var seen = new List<long>();
        for (var round = 0; round < 10; round++)
        {
            await AppendMany(trail, 17, first: round * 17 + 1);
            seen.AddRange(tail.ReadAvailable(1000).Select(r => r.Seq));
        }

        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        seen.AddRange(tail.ReadAvailable(1000).Select(r => r.Seq));

        Assert.True(Directory.GetFiles(Dir, "audit.0*.jsonl").Length >= 5, "the trail should have rotated several times");
        Assert.Equal(Enumerable.Range(1, 170).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task ReadAvailable_ResumedAtAShippedPosition_ContinuesRightAfterIt()
    {
        var trail = await Open(Options(maxFileBytes: 2048));
        var receipts = await AppendMany(trail, 60);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        using var tail = new TrailTail(ActivePath, receipts[41].Seq, receipts[41].Hash, verifyHashes: false);
        var rest = tail.ReadAvailable(1000);

        Assert.Equal(Enumerable.Range(43, 18).Select(i => (long)i), rest.Select(r => r.Seq));
        Assert.Equal(receipts[41].Hash, rest[0].PrevHash);
        Assert.StartsWith("{", System.Text.Encoding.UTF8.GetString(rest[0].Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAvailable_TrailCutBelowTheShippedPosition_Refused()
    {
        var trail = await Open(Options());
        var receipts = await AppendMany(trail, 20);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        WriteLines(ActivePath, ReadLines(ActivePath).Take(10));

        using var tail = new TrailTail(ActivePath, receipts[14].Seq, receipts[14].Hash, verifyHashes: false);

        var refused = Assert.Throws<AuditTrailCorruptException>(() => tail.ReadAvailable(1000));

        Assert.Contains("the trail ends below seq 15", refused.Message, StringComparison.Ordinal);
        Assert.Contains("cut", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAvailable_RecordAtThePositionRewritten_Refused()
    {
        var trail = await Open(Options());
        var receipts = await AppendMany(trail, 5);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        using var tail = new TrailTail(ActivePath, receipts[2].Seq, new string('a', 64), verifyHashes: false);

        var refused = Assert.Throws<AuditTrailCorruptException>(() => tail.ReadAvailable(1000));
        Assert.Contains("rewritten below what was shipped", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAvailable_PartialLastLine_WaitsForItsEnd()
    {
        var trail = await Open(Options());
        await AppendMany(trail, 3);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        var lines = ReadLines(ActivePath);
        File.WriteAllText(ActivePath, string.Join('\n', lines.Take(2)) + "\n" + lines[2][..20]);
        using var tail = new TrailTail(ActivePath, 0, string.Empty);

        Assert.Equal([1L, 2L], tail.ReadAvailable(1000).Select(r => r.Seq));
        File.AppendAllText(ActivePath, lines[2][20..] + "\n");
        Assert.Equal([3L], tail.ReadAvailable(1000).Select(r => r.Seq));
    }

    [Fact]
    public async Task ReadAvailable_RecordLongerThanTheReadBuffer_ReadWhole()
    {
        var trail = await Open(Options());
        await trail.AppendAsync("big", new System.Text.Json.Nodes.JsonObject { ["blob"] = new string('x', 200_000) }).AsTask().WaitAsync(Timeout, Ct);
        await AppendMany(trail, 2, first: 2);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        using var tail = new TrailTail(ActivePath, 0, string.Empty);

        var records = tail.ReadAvailable(1000);

        Assert.Equal([1L, 2L, 3L], records.Select(r => r.Seq));
        Assert.True(records[0].Payload.Length > 200_000);
    }
}
