using Xunit;

namespace Pdp.Cli.Tests;

public sealed class CheckCommandTests
{
    [Fact]
    public void Check_GoodDirectory_ExitsZeroWithOneLineSummary()
    {
        using var dir = TempPolicyDir.With("good");

        var result = Cli.Run("check", dir.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        var line = Assert.Single(result.OutLines);
        Assert.Matches(@"^ok: 1 policies, 1 data documents, 1 test cases, revision sha256:[0-9a-f]{16}$", line);
        Assert.Empty(result.Error);
    }

    [Fact]
    public void Check_DirectoryWithHelperModule_ExitsZeroCountingIt()
    {
        using var dir = TempPolicyDir.With("with_lib");

        var result = Cli.Run("check", dir.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^ok: 2 policies, 1 helper module, 1 data documents, 1 test cases, revision sha256:[0-9a-f]{16}$", Assert.Single(result.OutLines));
    }

    [Theory]
    [MemberData(nameof(Scenarios.Broken), MemberType = typeof(Scenarios))]
    public void Check_BrokenDirectory_PrintsProblemWithFileAndLineAndExitsOne(string scenario, string expected)
    {
        using var dir = TempPolicyDir.With(scenario);

        var result = Cli.Run("check", dir.Path);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(result.OutLines, line => line.StartsWith(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(result.OutLines, line => line.StartsWith("ok:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("syntax_error", "syntax error")]
    [InlineData("throws_at_load", "module failed to load")]
    [InlineData("invalid_data", "data file is not valid JSON")]
    [InlineData("broken_lib", "syntax error")]
    [InlineData("broken_lib", "uses.js:1:1: import './lib/util.js': the helper module lib/util.js cannot be loaded")]
    [InlineData("broken_prepare", "prepare(data) threw")]
    public void Check_BrokenDirectory_ExplainsTheCause(string scenario, string cause)
    {
        using var dir = TempPolicyDir.With(scenario);

        var result = Cli.Run("check", dir.Path);

        Assert.Contains(cause, result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SeveralProblems_PrintsOnePerLineSortedByFileThenLine()
    {
        // The loader finds these in another order: data first, then each module, then duplicate ids.
        using var dir = TempPolicyDir.With("invalid_data");
        dir.Write("z.js", Scenarios.Module("z", "return { verdict: \"allow\" ;"));
        dir.Write("b.js", Scenarios.Module("iam-allow", Scenarios.Returns("deny", "x")));
        dir.Write("a.js", "export let counter = 0;\nexport var other = 1;\n" + Scenarios.Module("a", Scenarios.Returns("allow", "x")));

        var result = Cli.Run("check", dir.Path);

        Assert.True(result.ExitCode == 1, result.ToString());
        var located = result.OutLines.Select(l => l.Split(':')).Select(p => (p[0], int.TryParse(p[1], out var line) ? line : 0));
        Assert.Equal([("a.js", 1), ("a.js", 2), ("b.js", 0), ("data/groups.json", 3), ("z.js", 3)], located);
        Assert.Contains("5 problems", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\n  \"g\": [\"alice\"],\n  \"g\": []\n}", "data/groups.json:3:3: data file is not valid JSON: duplicate key 'g'")]
    [InlineData("{ \"g\": { \"x\": 1 }, \"h\": { \"x\": 2 } }", null)]
    [InlineData("{\n  \"g\": {\n    \"x\": 1,\n    \"x\": 2\n  }\n}", "data/groups.json:4:5: data file is not valid JSON: duplicate key 'x'")]
    public void Check_DataFileWithDuplicateKey_IsReportedOnceByTheLoader(string content, string? expected)
    {
        using var dir = TempPolicyDir.With("good");
        dir.Write("data/groups.json", content);

        var result = Cli.Run("check", dir.Path);

        Assert.True(result.ExitCode == (expected is null ? 0 : 1), result.ToString());
        if (expected is not null)
        {
            Assert.Equal([expected], result.OutLines);
        }
    }

    [Theory]
    [InlineData("{ \"cases\": [ { \"name\": \"x\", \"input\": {}, \"expect\": { \"verdict\": \"maybe\" } } ] }", "bad.test.json:1:")]
    [InlineData("{\n  \"cases\": [\n    { \"nme\": \"x\", \"input\": {}, \"expect\": { \"verdict\": \"allow\" } }\n  ]\n}", "bad.test.json:3:1: case 1: unknown key 'nme'")]
    [InlineData("{\n  \"cases\": [\n", "bad.test.json:3:")]
    [InlineData("[]", "bad.test.json:1:1: test file must be an object")]
    [InlineData("\"cases\"", "bad.test.json:1:1: test file must be an object")]
    [InlineData("{\n  \"cases\": [],\n  \"cases\": []\n}", "bad.test.json:3:3: test file is not valid JSON: duplicate key 'cases'")]
    public void Check_BrokenTestFile_ReportsItAndExitsOne(string content, string expected)
    {
        using var dir = TempPolicyDir.With("good");
        dir.Write("bad.test.json", content);

        var result = Cli.Run("check", dir.Path);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains(result.OutLines, line => line.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Check_DirectoryWithoutPolicies_ExitsOne()
    {
        using var dir = new TempPolicyDir();

        var result = Cli.Run("check", dir.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no policy files (*.js) found", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_MissingDirectory_ExitsTwo()
    {
        using var dir = new TempPolicyDir();
        var missing = Path.Combine(dir.Path, "nope");

        var result = Cli.Run("check", missing);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Out);
    }

    [Fact]
    public void Check_FileInsteadOfDirectory_ExitsTwo()
    {
        using var dir = TempPolicyDir.With("good");

        var result = Cli.Run("check", Path.Combine(dir.Path, "allow.js"));

        Assert.Equal(2, result.ExitCode);
    }

    [Theory]
    [InlineData("[\"iam.account.disable\", \"iam.role.grant\"]", 0, null)]
    [InlineData("{ \"iam\": [\"iam.account.disable\"] }", 0, null)]
    [InlineData("{ \"families\": { \"iam\": [\"iam.role.grant\"], \"net\": [] } }", 0, null)]
    [InlineData("[\"iam.account.disable\", \"secrets.read\"]", 1, "action type 'secrets.read' is covered by no policy")]
    [InlineData("{ \"families\": { \"iam\": [\"iam.role.grant\"], \"secrets\": [\"secrets.read\", \"secrets.rotate\"] } }", 1, "action type 'secrets.rotate' is covered by no policy")]
    [InlineData("[\"network.block_ip\"]", 1, "action type 'network.block_ip' is covered by no policy")]
    [InlineData("[\"IAM.Account\"]", 1, "'IAM.Account' is not a valid action type")]
    public void Check_RequireCoverage_ReportsEachUncoveredType(string coverage, int exitCode, string? expected)
    {
        using var dir = TempPolicyDir.With("good");

        // A catch-all matches everything but covers nothing: it is not a policy written for the type.
        dir.Write("catch_all.js", Scenarios.Module("catch-all", "return undefined;", appliesTo: "[\"*\"]"));
        var coverageFile = dir.Write("coverage.json", coverage);

        var result = Cli.Run("check", dir.Path, "--require-coverage", coverageFile);

        Assert.True(result.ExitCode == exitCode, result.ToString());
        if (expected is null)
        {
            Assert.StartsWith("ok: 2 policies", result.Out, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(result.OutLines, line => line.StartsWith($"{coverageFile}: {expected}", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("{ \"iam\": 1 }")]
    [InlineData("[\"iam.account.disable\", 3]")]
    [InlineData("\"iam.account.disable\"")]
    [InlineData("[\"iam.account.disable\"")]
    public void Check_MalformedCoverageFile_ExitsTwo(string coverage)
    {
        using var dir = TempPolicyDir.With("good");
        var coverageFile = dir.Write("coverage.json", coverage);

        var result = Cli.Run("check", dir.Path, "--require-coverage", coverageFile);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("coverage", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_MissingCoverageFile_ExitsTwo()
    {
        using var dir = TempPolicyDir.With("good");

        var result = Cli.Run("check", dir.Path, "--require-coverage", Path.Combine(dir.Path, "absent.json"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot read coverage file", result.Error, StringComparison.Ordinal);
    }
}
