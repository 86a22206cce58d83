using Xunit;

namespace Pdp.Cli.Tests;

public sealed class UsageTests
{
    [Theory]
    [InlineData("check")]
    [InlineData("eval")]
    [InlineData("test")]
    [InlineData("replay")]
    public void Help_OnEachVerb_ExitsZeroAndShowsTheVerbsUsage(string verb)
    {
        var result = Cli.Run(verb, "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"pdp {verb} <DIR> [options]", result.Out, StringComparison.Ordinal);
        Assert.Empty(result.Error);
    }

    [Theory]
    [InlineData("eval", "--input")]
    [InlineData("eval", "--explain")]
    [InlineData("eval", "--data")]
    [InlineData("check", "--require-coverage")]
    [InlineData("test", "--filter")]
    [InlineData("test", "--verbose")]
    [InlineData("eval", "--max-statements")]
    [InlineData("test", "--timeout-ms")]
    [InlineData("test", "--memory-bytes")]
    [InlineData("eval", "--max-recursion")]
    [InlineData("replay", "--audit")]
    [InlineData("replay", "--json")]
    [InlineData("replay", "--limit")]
    [InlineData("replay", "--timeout-ms")]
    [InlineData("replay", "overrides prevented: overridden decisions the candidate is stricter on")]
    [InlineData("replay", "overrides caused: human-approved decisions the candidate would deny, plus human-rejected ones")]
    [InlineData("replay", "reviews added: recorded allow or deny -> candidate require_human")]
    [InlineData("replay", "reviews removed: recorded require_human -> candidate allow or deny")]
    public void Help_OnVerb_ListsItsOptions(string verb, string option)
    {
        var result = Cli.Run(verb, "-h");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(option, result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_OnTheTool_ListsEveryVerb()
    {
        var result = Cli.Run("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.All(new[] { "check", "eval", "test", "replay", "audit" }, verb => Assert.Contains(verb, result.Out, StringComparison.Ordinal));
    }

    [Fact]
    public void Help_OnAudit_ListsVerify()
    {
        var result = Cli.Run("audit", "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.OutLines, l => l.TrimStart().StartsWith("verify <FILE>", StringComparison.Ordinal));
    }

    [Fact]
    public void Help_OnAuditVerify_ShowsItsUsage()
    {
        var result = Cli.Run("audit", "verify", "--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("pdp audit verify <FILE> [options]", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "audit" }, "pdp audit --help")]
    [InlineData(new[] { "audit", "verify" }, "pdp audit verify --help")]
    [InlineData(new[] { "audit", "frobnicate" }, "pdp audit --help")]
    public void Run_AuditWithoutSubVerbOrFile_ExitsTwoPointingAtItsHelp(string[] args, string hint)
    {
        var result = Cli.Run(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        Assert.Contains(hint, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("frobnicate", "policies")]
    [InlineData("CHECK", "policies")]
    public void Run_UnknownVerb_ExitsTwo(params string[] args)
    {
        var result = Cli.Run(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        Assert.Contains("pdp --help", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_NoArguments_ExitsTwo()
    {
        var result = Cli.Run();

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Out);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("eval")]
    [InlineData("test")]
    [InlineData("replay")]
    public void Run_VerbWithoutDirectory_ExitsTwo(string verb)
    {
        var result = Cli.Run(verb);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("DIR", result.Error, StringComparison.Ordinal);
        Assert.Contains($"pdp {verb} --help", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("check", "--no-such-option")]
    [InlineData("test", "--filter")]
    [InlineData("eval", "--input")]
    [InlineData("test", "two", "directories")]
    public void Run_BadOptionsOrArguments_ExitsTwo(string verb, params string[] rest)
    {
        using var dir = TempPolicyDir.With("good");

        var result = Cli.Run([verb, dir.Path, .. rest]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
    }
}
