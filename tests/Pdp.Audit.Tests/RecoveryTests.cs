using System.Text;
using Pdp.Audit.Verification;
using Xunit;

namespace Pdp.Audit.Tests;

public sealed class RecoveryTests : TrailFixture
{
    public static TheoryData<string, string, string> TornTails => new()
    {
        { "half a record, no newline", """{"seq":6,"time":"2026-11-26T20:00:00.000Z","type":"deci""", "no trailing newline" },
        { "a whole record but its newline", "WHOLE_NEXT_RECORD", "no trailing newline" },
        { "zero bytes then a newline", "\0\0\0\0\0\0\0\0\n", "not valid JSON" },
        { "an empty line", "\n", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(TornTails))]
    public async Task OpenAsync_TornLastLine_CutsItReportsItAndContinuesChain(string _, string tail, string reason)
    {
        await WriteTrail(5);
        var goodLength = new FileInfo(ActivePath).Length;
        var lastHash = AuditTrailReader.Read(ActivePath).Last().Hash;
        if (tail == "WHOLE_NEXT_RECORD")
        {
            // What a crash between writing a line and its newline leaves: valid, but never acknowledged.
            tail = await RecordThatWouldFollow();
        }

        File.AppendAllText(ActivePath, tail, new UTF8Encoding(false));
        var cutBytes = new FileInfo(ActivePath).Length - goodLength;

        var trail = await Open(Options());
        var report = trail.Recovery;
        Assert.NotNull(report.TruncatedTail);
        Assert.Equal((ActivePath, 6L, goodLength, cutBytes, 6L), (report.TruncatedTail.File, report.TruncatedTail.Line, report.TruncatedTail.Offset, report.TruncatedTail.BytesCut, report.TruncatedTail.Seq));
        Assert.Contains(reason, report.TruncatedTail.Reason, StringComparison.Ordinal);
        Assert.Equal((5L, 5L), (report.RecordsRead, report.LastSeq));
        Assert.Equal(goodLength, new FileInfo(ActivePath).Length);
        Assert.True(AuditVerifier.Verify(ActivePath).Ok);

        var receipt = await trail.AppendAsync("decision", Payload(6), Ct).AsTask().WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);

        Assert.Equal(6, receipt.Seq);
        Assert.Equal(lastHash, AuditTrailReader.Read(ActivePath).Last().PrevHash);
        var result = AuditVerifier.Verify(ActivePath);
        Assert.True(result.Ok, result.ToString());
        Assert.Equal(6, result.RecordsChecked);
    }

    [Fact]
    public async Task Read_TornLastLine_StopsBeforeItWithoutError()
    {
        await WriteTrail(3);
        File.AppendAllText(ActivePath, """{"seq":4,"ti""");

        Assert.Equal([1L, 2L, 3L], AuditTrailReader.Read(ActivePath).Select(static r => r.Seq));
    }

    [Theory]
    [InlineData(3, "hash mismatch")]
    [InlineData(6, "hash mismatch")]
    public async Task OpenAsync_EditedCompleteLine_FailsNamingFileAndLine(int line, string problem)
    {
        // Line 6 is the last line: it is complete and parses, so it is tampering, not a torn write.
        await WriteTrail(6);
        var lines = ReadLines(ActivePath);
        lines[line - 1] = lines[line - 1].Replace("\"read\"", "\"write\"", StringComparison.Ordinal);
        WriteLines(ActivePath, lines);
        var before = File.ReadAllBytes(ActivePath);

        var error = await Assert.ThrowsAsync<AuditTrailCorruptException>(() => Open(Options())).WaitAsync(Timeout, Ct);

        Assert.Equal((ActivePath, (long)line, (long?)line), (error.File, error.Line, error.Seq));
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Contains($"{ActivePath}:{line}", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(ActivePath)); // nothing "repaired"
    }

    [Fact]
    public async Task OpenAsync_GarbageLineBeforeLastLine_FailsInsteadOfCutting()
    {
        await WriteTrail(4);
        var lines = ReadLines(ActivePath).ToList();
        lines.Insert(2, "{\"seq\":3,\"ti");
        WriteLines(ActivePath, lines);

        var error = await Assert.ThrowsAsync<AuditTrailCorruptException>(() => Open(Options())).WaitAsync(Timeout, Ct);

        Assert.Equal((3L, "line is not valid JSON"), (error.Line, error.Problem));
    }

    [Fact]
    public async Task Read_TamperedMiddleLine_ThrowsAfterYieldingGoodRecords()
    {
        await WriteTrail(4);
        var lines = ReadLines(ActivePath);
        lines[2] = lines[2].Replace("user-3", "user-X", StringComparison.Ordinal);
        WriteLines(ActivePath, lines);
        var seen = new List<long>();

        var error = Assert.Throws<AuditTrailCorruptException>(() =>
        {
            foreach (var record in AuditTrailReader.Read(ActivePath))
            {
                seen.Add(record.Seq);
            }
        });

        Assert.Equal([1L, 2L], seen);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public async Task OpenAsync_NoFiles_StartsEmptyTrail()
    {
        var trail = await Open(Options());

        Assert.Equal(new RecoveryReport(0, 0, 0, new string('0', 64), null), trail.Recovery);
        Assert.Equal(1, (await trail.AppendAsync("decision", Payload(1), Ct).AsTask().WaitAsync(Timeout, Ct)).Seq);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
    }

    /// <summary>Produces the exact line record 6 would be, by writing it to a copy of the trail elsewhere.</summary>
    private async Task<string> RecordThatWouldFollow()
    {
        var copyDir = Path.Combine(Dir, "copy");
        Directory.CreateDirectory(copyDir);
        var copyPath = Path.Combine(copyDir, "audit.jsonl");
        File.Copy(ActivePath, copyPath);
        var trail = await Open(Options() with { Path = copyPath });
        await trail.AppendAsync("decision", Payload(6), Ct).AsTask().WaitAsync(Timeout, Ct);
        await trail.DisposeAsync().AsTask().WaitAsync(Timeout, Ct);
        return ReadLines(copyPath)[^1];
    }
}
