using Pdp.Policies.Loading;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;
using Xunit;

namespace Pdp.Policies.Tests.Loading;

/// <summary>Helper modules in lib/: what may be imported, how broken ones are reported, and that they count in the revision.</summary>
public sealed class HelperModuleLoadingTests
{
    private const string Util = """
        export function norm(v) { return typeof v === "string" ? v.trim().toLowerCase() : ""; }
        export const NAMES = ["a", "b"];
        """;

    private static string Policy(string import, string id = "p") => $$"""
        {{import}}
        export const policy = { id: "{{id}}", owner: "o", approver_group: "g", applies_to: ["*"] };
        export function decide(input, data) { return undefined; }
        """;

    private static (PolicySet? Set, IReadOnlyList<PolicyProblem> Problems) Load((string File, string Source)[] policies, params (string File, string Source)[] libraries) =>
        new PolicySetLoader(new SandboxOptions { TimeoutMilliseconds = 200, MaxStatements = 20_000 }).TryLoad(
            new PolicySourceSnapshot("inline", [.. policies.Select(f => new SourceFile(f.File, f.Source))], [new SourceFile("data/groups.json", "{}")], [], [])
            {
                Libraries = [.. libraries.Select(f => new SourceFile(f.File, f.Source))],
            });

    [Fact]
    public void TryLoad_PolicyImportsHelper_LoadsWithHelperAsModuleNotPolicy()
    {
        var (set, problems) = Load([("p.js", Policy("import { norm, NAMES } from \"./lib/util.js\";"))], ("lib/util.js", Util));

        Assert.Empty(problems);
        Assert.Equal(["p"], set!.Policies.Select(p => p.Id));
        Assert.Equal(["lib/util.js"], set.Libraries.Select(l => l.File));
        Assert.Contains("lib/util.js", set.Files);
    }

    [Fact]
    public void TryLoad_HelperImportsHelper_Loads()
    {
        var (set, problems) = Load(
            [("p.js", Policy("import * as more from \"./lib/more.js\";"))],
            ("lib/util.js", Util),
            ("lib/more.js", "import { norm } from \"./util.js\";\nexport function twice(v) { return norm(v) + norm(v); }"));

        Assert.Empty(problems);
        Assert.Equal(2, set!.Libraries.Count);
    }

    [Theory]
    [InlineData("./other.js", "policies may import only helper modules directly in lib/")]
    [InlineData("./lib/../other.js", "resolves to 'other.js'")]
    [InlineData("../outside/x.js", "leads outside the policy directory")]
    [InlineData("./lib/../../x.js", "leads outside the policy directory")]
    [InlineData("/etc/passwd.js", "is not a relative path")]
    [InlineData("https://example.com/x.js", "is not a relative path")]
    [InlineData("node:fs", "is not a relative path")]
    [InlineData("util", "is not a relative path")]
    [InlineData("./lib/util", "extension included")]
    [InlineData("./lib/sub/util.js", "directly in lib/")]
    [InlineData("./data/groups.json", "directly in lib/")]
    [InlineData("./lib\\util.js", "may not contain")]
    [InlineData("./lib//util.js", "empty path segment")]
    [InlineData("./p.js", "directly in lib/")]
    public void TryLoad_ImportOutsideLib_RefusedAtTheImport(string specifier, string message)
    {
        var (set, problems) = Load([("p.js", Policy($"import {{ norm }} from \"{specifier.Replace("\\", "\\\\", StringComparison.Ordinal)}\";"))], ("lib/util.js", Util));

        Assert.Null(set);
        var problem = Assert.Single(problems);
        Assert.Equal(("p.js", 1, 1), (problem.File, problem.Line, problem.Column));
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_ImportOfMissingHelper_RefusedNamingIt()
    {
        var (set, problems) = Load([("p.js", Policy("import { norm } from \"./lib/nope.js\";"))], ("lib/util.js", Util));

        Assert.Null(set);
        var problem = Assert.Single(problems);
        Assert.Equal("p.js:1:1: import './lib/nope.js': there is no helper module lib/nope.js", problem.ToString());
    }

    [Theory]
    [InlineData("export function norm(v) {", 1, "syntax error")]
    [InlineData("let hits = 0;\nexport function norm(v) { return v; }", 1, "module-level 'let' is not allowed")]
    [InlineData("export function norm(v) { return v; }\nconst boom = (() => { throw new Error('at load'); })();", 2, "helper module failed to load")]
    [InlineData("export function norm(v) { return v; }\nconst spin = (() => { for (;;) {} })();", 0, "inside the sandbox limits")]
    [InlineData("import { x } from \"../p.js\";\nexport function norm(v) { return v; }", 1, "directly in lib/")]
    [InlineData("export function norm(v) { return v; }\nexport function f() { return import('./x.js'); }", 2, "dynamic import()")]
    public void TryLoad_BrokenHelper_ReportedWithFileAndReasonAndImportersRefused(string source, int line, string message)
    {
        var (set, problems) = Load([("p.js", Policy("import { norm } from \"./lib/util.js\";"))], ("lib/util.js", source));

        Assert.Null(set);
        var problem = Assert.Single(problems, p => p.File == "lib/util.js");
        Assert.Equal(line, problem.Line);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.Contains(problems, p => p.File == "p.js" && p.Message.Contains("the helper module lib/util.js cannot be loaded", StringComparison.Ordinal));
    }

    [Fact]
    public void TryLoad_BrokenHelperNobodyImports_StillRefused()
    {
        var (set, problems) = Load([("p.js", Policy(""))], ("lib/util.js", "export function norm(v) {"));

        Assert.Null(set);
        Assert.Equal("lib/util.js", Assert.Single(problems).File);
    }

    [Fact]
    public void TryLoad_HelperImportCycle_Refused()
    {
        var (set, problems) = Load(
            [("p.js", Policy("import { a } from \"./lib/a.js\";"))],
            ("lib/a.js", "import { b } from \"./b.js\";\nexport function a() { return b(); }"),
            ("lib/b.js", "import { a } from \"./a.js\";\nexport function b() { return 1; }"));

        Assert.Null(set);
        var cycle = Assert.Single(problems, p => p.Message.Contains("import cycle", StringComparison.Ordinal));
        Assert.Contains("lib/a.js → lib/b.js → lib/a.js", cycle.Message, StringComparison.Ordinal);
        Assert.Contains(problems, p => p.File == "p.js");
    }

    [Fact]
    public void TryLoad_HelperChanges_RevisionChanges()
    {
        var policies = new[] { ("p.js", Policy("import { norm } from \"./lib/util.js\";")) };
        var first = Load(policies, ("lib/util.js", Util)).Set!.Revision;
        var same = Load(policies, ("lib/util.js", Util)).Set!.Revision;
        var edited = Load(policies, ("lib/util.js", Util + "\n// edited\n")).Set!.Revision;
        var added = Load(policies, ("lib/util.js", Util), ("lib/unused.js", "export const X = 1;")).Set!.Revision;

        Assert.Equal(first, same);
        Assert.NotEqual(first, edited);
        Assert.NotEqual(first, added);
    }

    [Fact]
    public void Read_DirectoryWithLib_ReadsHelpersApartFromPolicies()
    {
        var dir = Directory.CreateTempSubdirectory("pdp-lib-source-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "lib", "nested"));
            File.WriteAllText(Path.Combine(dir, "p.js"), Policy("import { norm } from \"./lib/util.js\";"));
            File.WriteAllText(Path.Combine(dir, "lib", "util.js"), Util);
            File.WriteAllText(Path.Combine(dir, "lib", "nested", "ignored.js"), "syntax error (");

            var snapshot = new DirectoryPolicySource(dir).Read();
            var (set, problems) = new PolicySetLoader(new SandboxOptions()).TryLoad(snapshot);

            Assert.Equal(["p.js"], snapshot.Policies.Select(f => f.Path));
            Assert.Equal(["lib/util.js"], snapshot.Libraries.Select(f => f.Path));
            Assert.Empty(problems);
            Assert.Equal(["p"], set!.Policies.Select(p => p.Id));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
