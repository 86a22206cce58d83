using Xunit;

namespace Pdp.Cli.Tests.Evidence;

/// <summary>Bad options of <c>pdp report</c>: a message naming the option, exit 2, and no report.</summary>
public sealed class ReportUsageTests
{
    public static TheoryData<string[], string> BadOptions() => new()
    {
        { ["report", "audit.jsonl", "--to", "2026-12-31"], "--from and --to are required" },
        { ["report", "audit.jsonl", "--from", "2026-12-01"], "--from and --to are required" },
        { ["report", "audit.jsonl", "--from", "2026-12-31", "--to", "2026-12-01"], "--from (2026-12-31) must be before --to (2026-12-01)" },
        { ["report", "audit.jsonl", "--from", "2026-12-01T10:00:00Z", "--to", "2026-12-01T10:00:00Z"], "must be before --to" },
        { ["report", "audit.jsonl", "--from", "yesterday", "--to", "2026-12-01"], "--from: 'yesterday' is not a date" },
        { ["report", "audit.jsonl", "--from", "2026-12-01", "--to", "2026-13-01"], "--to: '2026-13-01' is not a date" },
        { ["report", "audit.jsonl", "--from", "2026-12-01", "--to", "2026-12-31", "--format", "pdf"], "--format: 'pdf' is not one of html, md, json" },
        { ["report", "audit.jsonl", "--from", "2026-12-01", "--to", "2026-12-31", "--sign", "key.pem"], "--sign needs --output" },
        { ["report", "audit.jsonl", "--from", "2026-12-01", "--to", "2026-12-31", "--sign", "/nonexistent/key.pem", "--output", "r.json"], "--sign: no key file" },
        { ["report", "audit.jsonl", "--database", "Host=127.0.0.1", "--from", "2026-12-01", "--to", "2026-12-31"], "not both" },
        { ["report", "/nonexistent/audit.jsonl", "--from", "2026-12-01", "--to", "2026-12-31"], "cannot read audit trail" },
        { ["report", "--database", "Host=127.0.0.1;Port=notaport", "--from", "2026-12-01", "--to", "2026-12-31"], "connection string (--database or PDP_AUDIT_DATABASE) is not valid" },
        { ["report", "verify-signature", "/nonexistent/report.json", "--key", "/nonexistent/key.pem"], "cannot check the signature" },
    };

    [Fact]
    public void Report_SignWithAKeyThatIsNotOne_ExitTwoAndNoReportWritten()
    {
        var dir = Directory.CreateTempSubdirectory("pdp-report-badkey-").FullName;
        try
        {
            var (key, trail, output) = (Path.Combine(dir, "key.pem"), Path.Combine(dir, "audit.jsonl"), Path.Combine(dir, "report.json"));
            File.WriteAllText(key, "not a key");
            Assert.Equal(ExitCodes.Ok, Cli.Run(["audit", "generate", trail, "--records", "20"]).ExitCode);

            var result = Cli.Run(["report", trail, "--from", "2000-01-01", "--to", "2100-01-01", "--output", output, "--sign", key]);

            Assert.Equal(ExitCodes.Usage, result.ExitCode);
            Assert.Contains("--sign: cannot sign with", result.Error, StringComparison.Ordinal);
            Assert.False(File.Exists(output));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Report_BadOptions_ExitTwoNamingTheProblem(string[] args, string says)
    {
        var result = Cli.Run(args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(says, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Out);
    }
}
