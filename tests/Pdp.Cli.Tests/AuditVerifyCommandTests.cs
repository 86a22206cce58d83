using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pdp.Audit;
using Pdp.Audit.Format;
using Xunit;

namespace Pdp.Cli.Tests;

/// <summary><c>pdp audit verify</c> on real trails written with <see cref="AuditTrail"/>, then tampered with as text.</summary>
public sealed class AuditVerifyCommandTests : IDisposable
{
    private const int Records = 10;
    private readonly TempPolicyDir _dir = new();

    private string Trail => Path.Combine(_dir.Path, "audit.jsonl");

    [Fact]
    public async Task Verify_UntouchedTrail_ExitsZeroWithCountAndLastHash()
    {
        var receipts = await WriteTrail(Records);

        var result = Cli.Run("audit", "verify", Trail);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([$"ok: {Records} records in 1 files, last hash {receipts[^1].Hash}"], result.OutLines);
        Assert.Empty(result.Error);
    }

    [Theory]
    [InlineData("edit-payload", 4, 4, "hash mismatch: record was edited")]
    [InlineData("delete-middle", 5, 6, "seq 6 follows seq 4: a record is missing")]
    [InlineData("swap", 3, 4, "seq 4 follows seq 2: a record is missing")]
    [InlineData("insert-forged", 5, 4, "seq 4 follows seq 4: records are out of order or repeated")]
    [InlineData("edit-hash", 6, 6, "hash mismatch: record was edited")]
    [InlineData("torn-tail", Records, Records, "last line has no trailing newline (torn write)")]
    public async Task Verify_TamperedTrail_ExitsOneNamingTheFirstBadLine(string tampering, int line, int seq, string problem)
    {
        await WriteTrail(Records);
        var lines = File.ReadAllLines(Trail).ToList();
        var ending = "\n";
        switch (tampering)
        {
            case "edit-payload":
                lines[3] = Replace(lines[3], "\"user-4\"", "\"user-44\"");
                break;
            case "delete-middle":
                lines.RemoveAt(4);
                break;
            case "swap":
                (lines[2], lines[3]) = (lines[3], lines[2]);
                break;
            case "insert-forged":
                // A forger who knows the format: its own hash is right and it links to line 3, so line 4 passes;
                // the genuine seq 4 after it gives the insertion away.
                lines.Insert(3, Forge(seq: 4, prevHash: JsonNode.Parse(lines[2])!["hash"]!.GetValue<string>()));
                break;
            case "edit-hash":
                var hash = JsonNode.Parse(lines[5])!["hash"]!.GetValue<string>();
                lines[5] = Replace(lines[5], hash, new string('a', 64));
                break;
            case "torn-tail":
                lines[^1] = lines[^1][..(lines[^1].Length / 2)];
                ending = string.Empty;
                break;
        }

        File.WriteAllText(Trail, string.Join("\n", lines) + ending);

        var result = Cli.Run("audit", "verify", Trail);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal([$"{Trail}:{line}: seq {seq}: {problem}"], result.OutLines);
        Assert.Contains("does not verify", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_RotatedTrail_VerifiesAcrossFiles()
    {
        const int records = 40;
        var receipts = await WriteTrail(records, AuditTrailOptions.MinFileBytes);
        var rotated = Rotated();
        Assert.True(rotated.Length > 1, "the small file size should have rotated the trail");

        var result = Cli.Run("audit", "verify", Trail);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([$"ok: {records} records in {rotated.Length + 1} files, last hash {receipts[^1].Hash}"], result.OutLines);
    }

    [Fact]
    public async Task Verify_OneRotatedFile_VerifiesThatFileAlone()
    {
        await WriteTrail(40, AuditTrailOptions.MinFileBytes);
        var second = Rotated()[1];
        var lines = File.ReadAllLines(second);

        var result = Cli.Run("audit", "verify", second);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([$"ok: {lines.Length} records in 1 files, last hash {JsonNode.Parse(lines[^1])!["hash"]}"], result.OutLines);
    }

    [Fact]
    public async Task Verify_TamperedRotatedFile_NamesThatFile()
    {
        await WriteTrail(40, AuditTrailOptions.MinFileBytes);
        var second = Rotated()[1];
        var lines = File.ReadAllLines(second);
        var seq = JsonNode.Parse(lines[0])!["seq"]!.GetValue<long>();
        lines[0] = Replace(lines[0], "\"read\"", "\"write\"");
        File.WriteAllText(second, string.Join("\n", lines) + "\n");

        var result = Cli.Run("audit", "verify", Trail);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal([$"{second}:1: seq {seq}: hash mismatch: record was edited"], result.OutLines);
    }

    [Fact]
    public void Verify_MissingFile_ExitsTwo()
    {
        var result = Cli.Run("audit", "verify", Trail);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        Assert.Contains("cannot read audit trail", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_Directory_ExitsTwo()
    {
        var result = Cli.Run("audit", "verify", _dir.Path);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
    }

    public void Dispose() => _dir.Dispose();

    private async Task<List<AuditReceipt>> WriteTrail(int count, long maxFileBytes = 64L * 1024 * 1024)
    {
        var receipts = new List<AuditReceipt>();
        await using var trail = await AuditTrail.OpenAsync(new AuditTrailOptions { Path = Trail, MaxFileBytes = maxFileBytes });
        for (var n = 1; n <= count; n++)
        {
            receipts.Add(await trail.AppendAsync("decision", new JsonObject
            {
                ["decision_id"] = $"d-{n}",
                ["input"] = new JsonObject { ["agent"] = new JsonObject { ["id"] = "triage-bot" }, ["action"] = new JsonObject { ["type"] = "secrets.read", ["target"] = new JsonObject { ["id"] = $"user-{n}" } }, ["mode"] = "read" },
                ["response"] = new JsonObject { ["verdict"] = "VERDICT_ALLOW" },
            }));
        }

        return receipts;
    }

    private string[] Rotated() =>
        Directory.GetFiles(_dir.Path, "audit.*.jsonl").Order(StringComparer.Ordinal).ToArray();

    private static string Replace(string line, string old, string replacement)
    {
        Assert.Contains(old, line, StringComparison.Ordinal);
        return line.Replace(old, replacement, StringComparison.Ordinal);
    }

    /// <summary>A record line with a correct hash over its own content, in the stored member order.</summary>
    private static string Forge(long seq, string prevHash)
    {
        const string time = "2026-03-02T09:00:00.000Z";
        var payload = new JsonObject { ["decision_id"] = "forged", ["response"] = new JsonObject { ["verdict"] = "VERDICT_ALLOW" } };
        var hashed = new JsonObject { ["seq"] = seq, ["time"] = time, ["type"] = "decision", ["payload"] = payload.DeepClone(), ["prev_hash"] = prevHash };
        var hash = Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(hashed)));
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, CanonicalJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("seq", seq);
            writer.WriteString("time", time);
            writer.WriteString("type", "decision");
            writer.WritePropertyName("payload");
            writer.WriteRawValue(CanonicalJson.Serialize(payload));
            writer.WriteString("prev_hash", prevHash);
            writer.WriteString("hash", hash);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
