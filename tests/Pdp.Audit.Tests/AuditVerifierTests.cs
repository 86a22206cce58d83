using System.Text;
using System.Text.Json.Nodes;
using Pdp.Audit.Format;
using Pdp.Audit.Verification;
using Xunit;

namespace Pdp.Audit.Tests;

public sealed class AuditVerifierTests : TrailFixture
{
    [Fact]
    public async Task Verify_UntouchedTrail_IsOk()
    {
        await WriteTrail(10);

        var result = AuditVerifier.Verify(ActivePath);

        Assert.True(result.Ok, result.ToString());
        Assert.Equal((10L, 1), (result.RecordsChecked, result.FilesChecked));
        Assert.Equal(AuditTrailReader.Read(ActivePath).Last().Hash, result.LastHash);
    }

    [Theory]
    [InlineData("edit-payload", 5, 5, "hash mismatch: record was edited")]
    [InlineData("edit-seq", 3, 33, "hash mismatch: record was edited")]
    [InlineData("edit-hash", 6, 6, "hash mismatch: record was edited")]
    [InlineData("delete-middle", 5, 6, "seq 6 follows seq 4: a record is missing")]
    [InlineData("delete-first", 1, 2, "the trail starts at seq 2, not 1: earlier records are missing")]
    [InlineData("swap", 4, 5, "seq 5 follows seq 3: a record is missing")]
    [InlineData("duplicate", 6, 5, "seq 5 follows seq 5: records are out of order or repeated")]
    [InlineData("insert-forged", 4, 4, "prev_hash does not match the previous record's hash")]
    [InlineData("insert-forged-linked", 5, 4, "seq 4 follows seq 4: records are out of order or repeated")]
    [InlineData("reformat", 7, 7, "line is not byte-identical to the written form")]
    [InlineData("garbage", 5, null, "line is not valid JSON")]
    [InlineData("extra-member", 8, 8, "unexpected member \"note\"")]
    [InlineData("duplicate-member", 2, null, "line has a duplicate member")]
    [InlineData("invalid-utf8", 9, null, "line is not valid JSON")]
    public async Task Verify_TamperedTrail_NamesFirstBadRecord(string tampering, int line, int? seq, string problem)
    {
        await WriteTrail(10);
        var lines = ReadLines(ActivePath).ToList();
        Tamper(lines, tampering);
        WriteLines(ActivePath, lines);
        if (tampering == "invalid-utf8")
        {
            var bytes = File.ReadAllBytes(ActivePath);
            var at = bytes.AsSpan().IndexOf("\uFFFF"u8);
            File.WriteAllBytes(ActivePath, [.. bytes[..at], 0xFF, .. bytes[(at + 3)..]]);
        }

        var result = AuditVerifier.Verify(ActivePath);

        Assert.False(result.Ok, result.ToString());
        Assert.True(result.Problem!.StartsWith(problem, StringComparison.Ordinal), result.ToString());
        Assert.Equal(ActivePath, result.File);
        Assert.Equal(line, result.Line);
        Assert.Equal(seq, result.Seq);
        Assert.StartsWith(problem, result.Problem, StringComparison.Ordinal);
        Assert.Equal(line - 1, result.RecordsChecked);
    }

    [Fact]
    public async Task Verify_TornTail_ReportsLastLine()
    {
        await WriteTrail(3);
        File.AppendAllText(ActivePath, """{"seq":4,"time":"2026""");

        var result = AuditVerifier.Verify(ActivePath);

        Assert.Equal((false, 4L, 4L), (result.Ok, result.Line, result.Seq));
        Assert.Contains("torn write", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_NoFile_ReportsProblem()
    {
        var result = AuditVerifier.Verify(ActivePath);

        Assert.False(result.Ok);
        Assert.Equal(0, result.FilesChecked);
        Assert.Contains("no audit trail file", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NoFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => AuditTrailReader.Read(ActivePath));
    }

    [Fact]
    public void Verify_EmptyActiveFile_IsOkWithNoRecords()
    {
        File.WriteAllBytes(ActivePath, []);

        var result = AuditVerifier.Verify(ActivePath);

        Assert.Equal((true, 0L, 1), (result.Ok, result.RecordsChecked, result.FilesChecked));
    }

    private static void Tamper(List<string> lines, string tampering)
    {
        switch (tampering)
        {
            case "edit-payload":
                lines[4] = lines[4].Replace("\"user-5\"", "\"user-9\"", StringComparison.Ordinal);
                break;
            case "edit-seq":
                lines[2] = lines[2].Replace("{\"seq\":3,", "{\"seq\":33,", StringComparison.Ordinal);
                break;
            case "edit-hash":
                var hash = JsonNode.Parse(lines[5])!["hash"]!.GetValue<string>();
                lines[5] = lines[5].Replace(hash, (hash[0] == 'a' ? "b" : "a") + hash[1..], StringComparison.Ordinal);
                break;
            case "delete-middle":
                lines.RemoveAt(4);
                break;
            case "delete-first":
                lines.RemoveAt(0);
                break;
            case "swap":
                (lines[3], lines[4]) = (lines[4], lines[3]);
                break;
            case "duplicate":
                lines.Insert(5, lines[4]);
                break;
            case "insert-forged":
                lines.Insert(3, Forge(seq: 4, prevHash: new string('7', 64)));
                break;
            case "insert-forged-linked":
                // A perfect forgery of the link before it: the record after it gives it away.
                lines.Insert(3, Forge(seq: 4, prevHash: JsonNode.Parse(lines[2])!["hash"]!.GetValue<string>()));
                break;
            case "reformat":
                lines[6] = lines[6].Replace("\"type\":\"decision\"", "\"type\": \"decision\"", StringComparison.Ordinal);
                break;
            case "garbage":
                lines[4] = "this is not json";
                break;
            case "extra-member":
                lines[7] = lines[7].Replace("{\"seq\":8,", "{\"note\":1,\"seq\":8,", StringComparison.Ordinal);
                break;
            case "duplicate-member":
                lines[1] = lines[1].Replace("{\"seq\":2,", "{\"seq\":2,\"seq\":2,", StringComparison.Ordinal);
                break;
            case "invalid-utf8":
                // Latin-1 bytes in a UTF-8 file; WriteLines re-encodes, so mark the spot and patch bytes afterwards.
                lines[8] = lines[8].Replace("user-9", "user-\uFFFF", StringComparison.Ordinal);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(tampering), tampering, null);
        }
    }

    /// <summary>A line whose own hash is right (the forger knows the format) but which does not belong in the chain.</summary>
    private static string Forge(long seq, string prevHash)
    {
        var payload = Encoding.UTF8.GetBytes("""{"forged":true}""");
        var line = RecordCodec.EncodeLine(seq, "2026-11-26T20:00:00.000Z", "decision", payload, prevHash, out _);
        return Encoding.UTF8.GetString(line).TrimEnd('\n');
    }
    [Fact]
    public async Task VerifyLines_TrailLines_AreOkWithTheSameCountAndHash()
    {
        await WriteTrail(10);

        var result = AuditVerifier.VerifyLines(File.ReadLines(ActivePath), "chain");

        Assert.True(result.Ok, result.ToString());
        Assert.Equal((10L, 10L), (result.RecordsChecked, result.LastSeq));
        Assert.Equal(AuditTrailReader.Read(ActivePath).Last().Hash, result.LastHash);
    }

    [Theory]
    [InlineData("delete-first", 1, 2, "the trail starts at seq 2, not 1: earlier records are missing")]
    [InlineData("delete-middle", 4, 5, "seq 5 follows seq 3: a record is missing")]
    [InlineData("newline", 6, 6, "line is not byte-identical to the written form")]
    [InlineData("check", 7, 7, "rejected by the caller")]
    public async Task VerifyLines_BadLine_NamesSourceLineAndSeq(string tampering, int line, int seq, string problem)
    {
        await WriteTrail(10);
        var lines = File.ReadAllLines(ActivePath).ToList();
        Func<AuditRecord, string?>? check = null;
        switch (tampering)
        {
            case "delete-first":
                lines.RemoveAt(0);
                break;
            case "delete-middle":
                lines.RemoveAt(3);
                break;
            case "newline":
                // A line as a string may hold what a file line cannot: the stored form still decides.
                lines[5] = lines[5].Replace("\"payload\":", "\"payload\":\n", StringComparison.Ordinal);
                break;
            default:
                check = record => record.Seq == 7 ? "rejected by the caller" : null;
                break;
        }

        var result = AuditVerifier.VerifyLines(lines, "review_events", check);

        Assert.False(result.Ok);
        Assert.Equal(("review_events", (long?)line, (long?)seq), (result.File, result.Line, result.Seq));
        Assert.StartsWith(problem, result.Problem, StringComparison.Ordinal);
    }
}
