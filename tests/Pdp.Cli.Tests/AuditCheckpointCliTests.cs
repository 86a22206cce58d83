using Pdp.Audit.Checkpoints;
using Xunit;

namespace Pdp.Cli.Tests;

/// <summary><c>pdp audit generate</c> and <c>pdp audit verify</c> on checkpointed trails: retained suffixes and removals.</summary>
public sealed class AuditCheckpointCliTests : IDisposable
{
    private readonly TempPolicyDir _dir = new();

    private string Trail => Path.Combine(_dir.Path, "trail", "audit.jsonl");

    [Fact]
    public void Generate_ThenVerify_ExitsZeroAndFindsTheCheckpoint()
    {
        var generated = Cli.Run("audit", "generate", Trail, "--records", "3000", "--max-file-bytes", "262144", "--checkpoint-every", "1000");
        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.True(File.Exists(Path.Combine(_dir.Path, "trail", "audit.checkpoint.json")));

        var verified = Cli.Run("audit", "verify", Trail);

        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.StartsWith("ok: ", verified.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_WhereATrailExists_RefusesAndLeavesItAlone()
    {
        Assert.Equal(0, Cli.Run("audit", "generate", Trail, "--records", "10").ExitCode);
        var before = File.ReadAllBytes(Trail);

        var again = Cli.Run("audit", "generate", Trail, "--records", "10");

        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already holds a trail", again.Error, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Trail));
    }

    [Fact]
    public async Task Verify_RetainedSuffix_SaysWhichCheckpointAnchorsIt()
    {
        Assert.Equal(0, Cli.Run("audit", "generate", Trail, "--records", "500", "--max-file-bytes", "16384", "--checkpoint-every", "100").ExitCode);
        var options = new Pdp.Audit.AuditTrailOptions
        {
            Path = Trail,
            MaxFileBytes = 16384,
            Checkpoints = new CheckpointOptions { EveryRecords = 100, Retention = new RetentionOptions { MaxBytes = 65536 } },
        };

        // Reopen with retention and write one more checkpoint: it drops the oldest covered segments.
        var trail = await Pdp.Audit.AuditTrail.OpenAsync(options, state: null, cancellationToken: TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30));
        await trail.AppendAsync("note", new System.Text.Json.Nodes.JsonObject { ["n"] = 1 }).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await trail.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "trail", "audit.000001.jsonl")));

        var verified = Cli.Run("audit", "verify", Trail);

        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Matches(@"^ok: \d+ records in \d+ files from seq \d+ \(earlier segments removed by retention; anchored by the checkpoint at seq \d+\), last hash [0-9a-f]{64}$", verified.OutLines.Single());
    }

    [Theory]
    [InlineData("active")]
    [InlineData("middle")]
    [InlineData("pointer")]
    public void Verify_SomethingRemovedOrReplaced_ExitsOneNamingIt(string removed)
    {
        Assert.Equal(0, Cli.Run("audit", "generate", Trail, "--records", "500", "--max-file-bytes", "16384", "--checkpoint-every", "100").ExitCode);
        var dir = Path.GetDirectoryName(Trail)!;
        var named = removed switch
        {
            "active" => Trail,
            "middle" => Path.Combine(dir, "audit.000003.jsonl"),
            _ => Path.Combine(dir, "audit.checkpoint.json"),
        };
        if (removed == "pointer")
        {
            File.WriteAllText(named, File.ReadAllText(named).Replace("\"format\":1", "\"format\":1,\"forged\":true", StringComparison.Ordinal));
        }
        else
        {
            File.Delete(named);
        }

        var verified = Cli.Run("audit", "verify", Trail);

        Assert.Equal(1, verified.ExitCode);
        Assert.Contains(removed == "pointer" ? "the checkpoint pointer" : named, verified.Out, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
